//! Where an error happened while applying a PATCH (RFC 7644 §3.5.2, §3.12):
//! every error names the operation's index and the path it was working on,
//! so a client can tell which of its operations was refused.

use crate::error::ScimError;

use super::parse::kind_str;
use super::{PatchOpKind, PatchPath};

/// The operation being applied: its index in `Operations`, its kind and the
/// path (or the value-object key) it targets.
#[derive(Debug, Clone)]
pub(super) struct OpSite {
    index: usize,
    kind: PatchOpKind,
    path: String,
}

impl OpSite {
    pub(super) fn new(index: usize, kind: PatchOpKind, path: Option<&PatchPath>) -> Self {
        OpSite { index, kind, path: path.map(describe).unwrap_or_default() }
    }

    /// The same operation, now working on the key `key` of its value object
    /// (no-path operations and whole-extension values).
    pub(super) fn with_key(&self, key: &str) -> Self {
        OpSite { index: self.index, kind: self.kind, path: key.to_owned() }
    }

    fn detail(&self, msg: &str) -> String {
        if self.path.is_empty() {
            format!("operation {} ({}): {msg}", self.index, kind_str(self.kind))
        } else {
            format!("operation {} ({} \"{}\"): {msg}", self.index, kind_str(self.kind), self.path)
        }
    }

    pub(super) fn invalid_path(&self, msg: impl AsRef<str>) -> ScimError {
        ScimError::invalid_path(self.detail(msg.as_ref()))
    }
    pub(super) fn invalid_value(&self, msg: impl AsRef<str>) -> ScimError {
        ScimError::invalid_value(self.detail(msg.as_ref()))
    }
    pub(super) fn no_target(&self, msg: impl AsRef<str>) -> ScimError {
        ScimError::no_target(self.detail(msg.as_ref()))
    }
    pub(super) fn mutability(&self, msg: impl AsRef<str>) -> ScimError {
        ScimError::mutability(self.detail(msg.as_ref()))
    }
    /// Re-issues an error raised by a helper (the path parser) under this site.
    pub(super) fn wrap(&self, e: ScimError) -> ScimError {
        ScimError::new(e.status, e.scim_type, self.detail(&e.detail))
    }
}

/// A path as text for error details, printed back from its parts.
pub(super) fn describe(p: &PatchPath) -> String {
    let mut s = p.attr.to_string();
    if let Some(f) = &p.filter {
        s.push('[');
        s.push_str(&f.to_string());
        s.push(']');
    }
    if let Some(sub) = &p.sub_attr {
        s.push('.');
        s.push_str(sub);
    }
    s
}
