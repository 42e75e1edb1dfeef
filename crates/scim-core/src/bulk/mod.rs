//! Bulk operations (RFC 7644 §3.7): parsing a `BulkRequest` (§3.7, §3.7.4
//! limits), `bulkId` cross-references and their execution order, including
//! circular references (§3.7.1, §3.7.2), and the `BulkResponse` (§3.7.3).
//!
//! The server drives the execution; this module only decides what to run,
//! in which order, with which ids, and how to report it:
//!
//! 1. check the raw body length against [`BulkLimits::max_payload_bytes`]
//!    (else [`payload_too_large`]), then [`parse_bulk_request`];
//! 2. walk [`execution_order`]'s [`Step`]s; before running an operation,
//!    [`resolve_target`] and [`resolve_bulk_ids`] with the ids created so far;
//! 3. record a [`BulkOpResult`] per operation, count errors, stop when
//!    [`should_stop`] says so; answer with [`bulk_response_json`].

mod parse;
mod refs;
mod response;

#[cfg(test)]
mod tests;

use serde_json::Value;

pub use parse::{parse_bulk_request, payload_too_large, too_many_operations};
pub use refs::{Step, execution_order, references, resolve_bulk_ids, resolve_target, unresolved_bulk_id};
pub use response::{BulkOpResult, bulk_response_json, should_stop};

/// `schemas` of a bulk request (RFC 7644 §3.7).
pub const BULK_REQUEST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// `schemas` of a bulk response (RFC 7644 §3.7.3).
pub const BULK_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The prefix of a bulkId reference, `"bulkId:qwerty"` (RFC 7644 §3.7.2).
pub const BULK_ID_PREFIX: &str = "bulkId:";

/// The service provider's bulk limits, as advertised in
/// `ServiceProviderConfig.bulk` (RFC 7643 §5, RFC 7644 §3.7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// `maxOperations`.
    pub max_operations: usize,
    /// `maxPayloadSize`, in bytes of the raw request body.
    pub max_payload_bytes: usize,
}

impl Default for BulkLimits {
    /// The values RFC 7644 §3.7.4 and RFC 7643 §8.5 print: 1000 operations,
    /// 1 MiB.
    fn default() -> Self {
        BulkLimits { max_operations: 1000, max_payload_bytes: 1_048_576 }
    }
}

/// The HTTP method of one bulk operation (RFC 7644 §3.7: POST, PUT, PATCH,
/// DELETE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl BulkMethod {
    /// The upper-case spelling the RFC's responses echo.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkMethod::Post => "POST",
            BulkMethod::Put => "PUT",
            BulkMethod::Patch => "PATCH",
            BulkMethod::Delete => "DELETE",
        }
    }

    /// Case-insensitive.
    pub fn parse(s: &str) -> Option<Self> {
        [BulkMethod::Post, BulkMethod::Put, BulkMethod::Patch, BulkMethod::Delete]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

/// One entry of `Operations`, checked for shape.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOperation {
    /// Position in the request's `Operations` (0-based).
    pub index: usize,
    pub method: BulkMethod,
    /// Required for POST, unique within the request; echoed in the response.
    pub bulk_id: Option<String>,
    /// `version`: an ETag the resource must match (RFC 7644 §3.14).
    pub version: Option<String>,
    /// `"Users"` or `"Groups"`: the endpoint name without the slash.
    pub resource_endpoint: String,
    /// The resource id from `path` (`None` for POST); may be a reference
    /// `"bulkId:xyz"`, see [`resolve_target`].
    pub target: Option<String>,
    /// The body: a resource for POST/PUT, a PatchOp message for PATCH;
    /// `None` for DELETE (any `data` sent with a DELETE is ignored). It may
    /// hold `"bulkId:xyz"` references, see [`resolve_bulk_ids`].
    pub data: Option<Value>,
}

/// A parsed `BulkRequest`.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// `failOnErrors`, at least 1; `None`: process every operation.
    pub fail_on_errors: Option<u32>,
    pub operations: Vec<BulkOperation>,
}
