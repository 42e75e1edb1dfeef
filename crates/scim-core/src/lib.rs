//! Pure SCIM 2.0: the schema model (RFC 7643), the filter language and PATCH
//! engine (RFC 7644 §3.4.2.2, §3.5.2), projection, sorting and the protocol's
//! error representation (RFC 7644 §3.12).
//!
//! Nothing in this crate performs I/O, is async, or knows about a database: it
//! works on `serde_json::Value` documents and the [`schema::SchemaRegistry`],
//! so every rule can be unit-, property- and fuzz-tested in isolation.
//!
//! Documents: a resource is kept as a JSON object whose attribute names are
//! the *canonical* spelling from its schema (`userName`, not `USERNAME`).
//! Core attributes sit at the top level; extension attributes sit under their
//! schema URN (`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
//! {...}`), as RFC 7643 §3.3 prints them.
#![forbid(unsafe_code)]

pub mod bulk;
pub mod error;
pub mod filter;
pub mod kind;
pub mod patch;
pub mod path;
pub mod projection;
pub mod resource;
pub mod schema;
pub mod sort;
#[cfg(test)]
mod test_fixtures;
pub mod value;

pub use error::{ScimError, ScimType};
pub use kind::ResourceKind;
