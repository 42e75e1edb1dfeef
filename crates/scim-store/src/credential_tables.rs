//! The tables that hold credentials — SCIM tokens, admin tokens, OAuth
//! clients, setup links — named alike on every backend. Each backend's `credentials.rs`
//! revokes, expires and touches a row of any of them.

/// A credential table; its name is never input.
#[derive(Clone, Copy)]
pub(crate) enum Credentials {
    Tokens,
    AdminTokens,
    OAuthClients,
    SetupLinks,
}

impl Credentials {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Credentials::Tokens => "tokens",
            Credentials::AdminTokens => "admin_tokens",
            Credentials::OAuthClients => "oauth_clients",
            Credentials::SetupLinks => "setup_links",
        }
    }
}
