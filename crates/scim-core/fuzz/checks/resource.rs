//! Properties of the resource parser (RFC 7643 §2-§4, `resource::prepare`):
//! any bytes that are JSON must be prepared as a User and as a Group without
//! panicking; refusals are `400` with a `scimType`; an accepted document
//! carries no password, id or meta, is a fixed point of `prepare`, survives
//! a PUT of itself, and projects without panicking.
use scim_core::projection::Projection;
use scim_core::resource::{Mode, prepare};
use scim_core::schema::SchemaRegistry;
use serde_json::Value;

/// Runs one input; panics on a broken property.
pub fn check(data: &[u8]) {
    let Ok(input) = serde_json::from_slice::<Value>(data) else { return };
    let schemas = SchemaRegistry::standard();
    for rt in schemas.resource_types() {
        let prepared = match prepare(&input, Mode::Create, &schemas, rt) {
            Ok(p) => p,
            Err(e) => {
                assert_eq!(e.status, 400, "{e}");
                assert!(e.scim_type.is_some(), "{e}");
                continue;
            }
        };
        let doc = &prepared.doc;
        for gone in ["password", "id", "meta", "groups", "members"] {
            assert!(doc.get(gone).is_none(), "{gone} in {doc}");
        }
        let again = prepare(doc, Mode::Create, &schemas, rt).map(|p| p.doc);
        assert_eq!(again.as_ref(), Ok(doc), "prepare is not idempotent on {input}");
        let mut existing = doc.clone();
        existing["id"] = Value::String("x".into());
        let put = prepare(&existing, Mode::Replace { existing: &existing }, &schemas, rt).map(|p| p.doc);
        assert_eq!(put.as_ref(), Ok(doc), "PUT of itself changed {input}");
        let projected = Projection::default().apply(existing.clone(), &schemas, rt);
        assert!(projected.get("password").is_none());
    }
}
