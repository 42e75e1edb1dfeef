//! The indexed columns of a `resources` row, derived from its document
//! (DESIGN §3), for every backend. The store computes them itself so
//! callers cannot get them out of step with the document. Lower-casing
//! happens here, in Rust (Unicode-aware, `scim_core::value::fold`), never
//! with a database's own `lower()` (SQLite's is ASCII-only).

use scim_core::schema::ENTERPRISE_USER_URN;
use scim_core::value::{fold, primary_or_first};
use serde_json::Value;

use crate::ResourceKind;

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Derived {
    /// What a member/group reference shows as `display`.
    pub display: Option<String>,
    pub user_name: Option<String>,
    pub user_name_lower: Option<String>,
    pub display_name_lower: Option<String>,
    pub external_id: Option<String>,
    pub email_lower: Option<String>,
    pub emails_all: Option<String>,
    pub active: Option<bool>,
    pub manager_id: Option<String>,
}

/// The derived columns, in the order [`Derived::values`] gives them.
pub(crate) const COLUMNS: [&str; 9] = [
    "display",
    "user_name",
    "user_name_lower",
    "display_name_lower",
    "external_id",
    "email_lower",
    "emails_all",
    "active",
    "manager_id",
];

/// One derived column's value, as a backend binds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Column<'a> {
    Text(Option<&'a str>),
    Bool(Option<bool>),
}

impl Derived {
    /// The values of [`COLUMNS`], in that order.
    pub(crate) fn values(&self) -> [Column<'_>; 9] {
        fn text(v: &Option<String>) -> Column<'_> {
            Column::Text(v.as_deref())
        }
        [
            text(&self.display),
            text(&self.user_name),
            text(&self.user_name_lower),
            text(&self.display_name_lower),
            text(&self.external_id),
            text(&self.email_lower),
            text(&self.emails_all),
            Column::Bool(self.active),
            text(&self.manager_id),
        ]
    }
}

fn str_attr<'a>(doc: &'a Value, name: &str) -> Option<&'a str> {
    doc.get(name).and_then(Value::as_str)
}

/// Derives the indexed columns of `doc`.
pub(crate) fn derive(kind: ResourceKind, doc: &Value) -> Derived {
    let display_name = str_attr(doc, "displayName");
    let external_id = str_attr(doc, "externalId").map(str::to_owned);
    match kind {
        ResourceKind::Group => Derived {
            display: display_name.map(str::to_owned),
            display_name_lower: display_name.map(fold),
            external_id,
            ..Derived::default()
        },
        ResourceKind::User => {
            let user_name = str_attr(doc, "userName");
            let (email_lower, emails_all) = emails(doc);
            let manager_id = doc
                .get(ENTERPRISE_USER_URN)
                .and_then(|ext| ext.get("manager"))
                .and_then(|m| m.get("value"))
                .and_then(Value::as_str)
                .map(fold);
            Derived {
                display: display_name.or(user_name).map(str::to_owned),
                user_name: user_name.map(str::to_owned),
                user_name_lower: user_name.map(fold),
                display_name_lower: display_name.map(fold),
                external_id,
                email_lower,
                emails_all,
                active: doc.get("active").and_then(Value::as_bool),
                manager_id,
            }
        }
    }
}

/// The email a User sorts by (`scim_core::sort`'s rule: the primary value,
/// else the first value that has a value; its `value`), and every email
/// value joined with newlines around each; both folded.
fn emails(doc: &Value) -> (Option<String>, Option<String>) {
    let items: &[Value] = match doc.get("emails") {
        Some(Value::Array(items)) => items,
        Some(other) => std::slice::from_ref(other),
        None => return (None, None),
    };
    let sort_elem = primary_or_first(items);
    let sort_value = sort_elem.and_then(|e| e.get("value")).and_then(Value::as_str).filter(|v| !v.is_empty()).map(fold);
    let values: Vec<&str> = items.iter().filter_map(|e| e.get("value")?.as_str()).collect();
    if values.is_empty() {
        return (sort_value, None);
    }
    let mut all = String::from("\n");
    for v in values {
        all.push_str(&fold(v));
        all.push('\n');
    }
    (sort_value, Some(all))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn derives_user_columns() {
        let doc = json!({
            "userName": "Bjensen@Example.com",
            "externalId": "AbC",
            "emails": [{"value": "A@x.org"}, {"value": "B@X.org", "primary": true}],
            "active": false,
            ENTERPRISE_USER_URN: {"manager": {"value": "MGR-1"}}
        });
        let d = derive(ResourceKind::User, &doc);
        assert_eq!(d.user_name_lower.as_deref(), Some("bjensen@example.com"));
        assert_eq!(d.display.as_deref(), Some("Bjensen@Example.com"));
        assert_eq!(d.external_id.as_deref(), Some("AbC"));
        assert_eq!(d.email_lower.as_deref(), Some("b@x.org"));
        assert_eq!(d.emails_all.as_deref(), Some("\na@x.org\nb@x.org\n"));
        assert_eq!(d.active, Some(false));
        assert_eq!(d.manager_id.as_deref(), Some("mgr-1"));
    }

    #[test]
    fn derives_group_columns() {
        let d = derive(ResourceKind::Group, &json!({"displayName": "Ops Team"}));
        assert_eq!(d.display.as_deref(), Some("Ops Team"));
        assert_eq!(d.display_name_lower.as_deref(), Some("ops team"));
        assert_eq!(d.user_name_lower, None);
    }
}
