//! Request bodies of the admin API: JSON (`application/json`, or
//! `application/merge-patch+json` for partial changes), refused with a
//! problem that says what is wrong rather than axum's plain-text rejection.

use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::problem::Problem;
use crate::ops::audit::bounded;

/// The JSON body of a request, as `T`.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && essence != "application/merge-patch+json" {
        return Err(Problem::unsupported_media_type(
            "send the body as application/json (or application/merge-patch+json for partial changes)",
        ));
    }
    serde_json::from_slice(body).map_err(|e| Problem::invalid_body(bounded(&e.to_string(), 200)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        slug: String,
    }

    #[test]
    fn json_only_with_a_clear_refusal() {
        let mut h = HeaderMap::new();
        assert_eq!(json_body::<Body>(&h, b"{}").unwrap_err().status, 415);
        h.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(json_body::<Body>(&h, br#"{"slug":"a"}"#).is_ok());
        let e = json_body::<Body>(&h, br#"{"slug":"a","x":1}"#).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.detail.contains("unknown field"), "{}", e.detail);
        assert_eq!(json_body::<Body>(&h, b"{").unwrap_err().status, 400);
    }
}
