//! The `BulkResponse` (RFC 7644 §3.7.3) and the `failOnErrors` rule (§3.7).

use serde_json::{Map, Value, json};

use super::{BULK_RESPONSE_URN, BulkMethod, BulkOperation};
use crate::error::ScimError;

/// The outcome of one bulk operation, as §3.7.3 reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOpResult {
    pub method: BulkMethod,
    /// The operation's bulkId, echoed (REQUIRED for POST, §3.7.3).
    pub bulk_id: Option<String>,
    /// The resource's full URL; required except when a POST failed.
    pub location: Option<String>,
    /// The resource's ETag after the operation.
    pub version: Option<String>,
    /// The HTTP status of the operation (printed as a string).
    pub status: u16,
    /// The response body: the §3.12 error body for failures (required for
    /// any non-2xx status), or optionally the resource.
    pub response: Option<Value>,
}

impl BulkOpResult {
    /// A success (`201` for POST, `200` for PUT/PATCH, `204` for DELETE).
    pub fn success(op: &BulkOperation, status: u16, location: Option<String>, version: Option<String>) -> Self {
        BulkOpResult { method: op.method, bulk_id: op.bulk_id.clone(), location, version, status, response: None }
    }

    /// A failure: `status` and `response` from `error`. Pass the resource's
    /// `location` when the operation named one (PUT, PATCH, DELETE).
    pub fn failure(op: &BulkOperation, location: Option<String>, error: &ScimError) -> Self {
        BulkOpResult {
            method: op.method,
            bulk_id: op.bulk_id.clone(),
            location,
            version: None,
            status: error.status,
            response: Some(error.to_json()),
        }
    }

    /// True for a status that counts towards `failOnErrors`.
    pub fn is_error(&self) -> bool {
        self.status >= 400
    }
}

/// The `BulkResponse` body (RFC 7644 §3.7.3), operations in the order
/// given: `status` is a JSON string; absent members are left out.
pub fn bulk_response_json(results: &[BulkOpResult]) -> Value {
    let ops: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut m = Map::new();
            if let Some(l) = &r.location {
                m.insert("location".into(), Value::String(l.clone()));
            }
            m.insert("method".into(), Value::String(r.method.as_str().into()));
            if let Some(b) = &r.bulk_id {
                m.insert("bulkId".into(), Value::String(b.clone()));
            }
            if let Some(v) = &r.version {
                m.insert("version".into(), Value::String(v.clone()));
            }
            m.insert("status".into(), Value::String(r.status.to_string()));
            if let Some(body) = &r.response {
                m.insert("response".into(), body.clone());
            }
            Value::Object(m)
        })
        .collect();
    json!({ "schemas": [BULK_RESPONSE_URN], "Operations": ops })
}

/// RFC 7644 §3.7: `failOnErrors` is "the number of errors that the service
/// provider will accept before the operation is terminated": once that many
/// operations have failed, the rest are not run (and not reported).
pub fn should_stop(fail_on_errors: Option<u32>, errors_so_far: u32) -> bool {
    fail_on_errors.is_some_and(|limit| errors_so_far >= limit)
}
