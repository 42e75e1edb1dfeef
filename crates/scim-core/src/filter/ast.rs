//! The filter AST (RFC 7644 §3.4.2.2). One AST, two consumers: the evaluator
//! in this crate (reference semantics) and the SQL compiler in scim-store.

use serde_json::Number;

use crate::path::AttrPath;

/// The ten attribute operators (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

/// A comparison literal (RFC 7644 §3.4.2.2 `compValue`). dateTime values are
/// strings here; their meaning comes from the attribute's type.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath compareOp compValue`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    /// `not ( … )`
    Not(Box<Filter>),
    /// `attrPath "[" valFilter "]"`: `path` names a multi-valued (usually
    /// complex) attribute; the paths inside `filter` are relative to one of
    /// its values (`type`, `value`, …).
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}
