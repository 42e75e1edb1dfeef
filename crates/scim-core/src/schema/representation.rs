//! The JSON representation of schemas and resource types served by
//! `/Schemas` and `/ResourceTypes` (RFC 7643 §6, §7). PLACEHOLDER.
