//! The tables that hold credentials — SCIM tokens, admin tokens, OAuth
//! clients, setup links — named alike on every backend. Each backend's `credentials.rs`
//! revokes, expires and touches a row of any of them; touching a SCIM token
//! records the request's User-Agent too ([`Credentials::keeps_user_agent`]).

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

    /// Whether a use records the request's User-Agent (`last_user_agent`):
    /// only SCIM tokens, whose caller is an identity provider worth naming.
    pub(crate) fn keeps_user_agent(self) -> bool {
        matches!(self, Credentials::Tokens)
    }
}
