//! IdP compatibility tests (DESIGN §11): the request sequences identity
//! providers send, replayed from their public documentation against a real
//! scimd on an ephemeral port. One module per IdP; each test is one lifecycle.
//!
//! Sources (stored copies read when writing these):
//! - Microsoft, "Tutorial: Develop and plan provisioning for a SCIM endpoint in
//!   Microsoft Entra ID" (request/response examples) and "Known issues and
//!   resolutions with SCIM 2.0 protocol compliance" (`aadOptscim062020`).
//! - Okta, "SCIM 2.0 Protocol Reference" and the "SCIM 2.0 Spec Test" (Runscope).
//! - OneLogin "SCIM Provisioner with SAML (SCIM v2 Enterprise)" and JumpCloud
//!   "Identity Management using a Custom SCIM Integration".

// Panicking on the unexpected is what a test is for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod common;
mod entra;
mod jumpcloud;
mod okta;
mod onelogin;
