//! Documents shared by the unit tests of this crate: the examples of
//! RFC 7643 §8.

use serde_json::{Value, json};

use crate::schema::GROUP_URN;

/// The full User of RFC 7643 §8.2 with the Enterprise User extension of
/// §8.3 (see `testdata/README.md`).
pub(crate) fn rfc7643_user() -> Value {
    serde_json::from_str(include_str!("../testdata/rfc7643-8.2-user.json")).expect("the RFC 7643 §8.2 fixture is JSON")
}

/// The Group of RFC 7643 §8.4.
pub(crate) fn rfc7643_group() -> Value {
    json!({
        "schemas": [GROUP_URN],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646",
             "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
             "display": "Babs Jensen"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a",
             "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a",
             "display": "Mandy Pepperidge"}
        ],
        "meta": {
            "resourceType": "Group",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff592\"",
            "location": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a"
        }
    })
}

/// Removes `keys` from the object `doc`, each of which must be there (a
/// derived variant says what it lacks, and the fixture must have it).
pub(crate) fn remove(doc: &mut Value, keys: &[&str]) {
    let obj = doc.as_object_mut().expect("an object");
    for k in keys {
        assert!(obj.shift_remove(*k).is_some(), "no {k:?} to remove");
    }
}
