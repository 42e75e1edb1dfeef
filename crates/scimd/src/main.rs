//! scimd: the SCIM 2.0 provisioning server. PLACEHOLDER.
fn main() {}
