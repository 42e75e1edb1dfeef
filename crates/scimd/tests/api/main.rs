//! Integration tests. PLACEHOLDER.
