//! The User-Agent of a SCIM request (issue 14: the setup page says when
//! the last request came and from which identity provider). Pure: what
//! scimd keeps of the header — never trusted, so bounded and stripped of
//! control and invisible formatting characters — and the identity
//! provider it names, when it names one.
//!
//! Okta documents its requests as `User-Agent: Okta SCIM Client 1.0.0`;
//! the others are recognised by a word of the header beginning with the
//! provider's name (`Microsoft…`, `Azure…`, `Entra…`, `OneLogin…`,
//! `JumpCloud…`, `Google…`), case-insensitively. The raw header is always
//! shown beside the name: the name is a guess, the header is what came.

/// The most characters of a User-Agent kept.
pub const MAX_CHARS: usize = 200;

/// What scimd keeps of a request's User-Agent: bytes that are not UTF-8
/// replaced, control characters and invisible formatting characters (which
/// could reorder or hide what a page shows) dropped, at most [`MAX_CHARS`]
/// characters, trimmed; `None` when nothing is left.
pub fn kept(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let kept: String = text.chars().filter(|c| !c.is_control() && !is_invisible_format(*c)).take(MAX_CHARS).collect();
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// Zero-width and bidirectional formatting characters.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// The identity providers recognised, by the start of a word of the
/// User-Agent (lower case), in the order they are tried.
const PROVIDERS: &[(&str, &str)] = &[
    ("okta", "Okta"),
    ("microsoft", "Microsoft Entra ID"),
    ("azure", "Microsoft Entra ID"),
    ("entra", "Microsoft Entra ID"),
    ("onelogin", "OneLogin"),
    ("jumpcloud", "JumpCloud"),
    ("google", "Google Workspace"),
];

/// The identity provider a User-Agent names, in plain words; `None` when
/// it names none of those known (curl, a library, a custom client).
pub fn identity_provider(user_agent: &str) -> Option<&'static str> {
    let words: Vec<String> =
        user_agent.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    PROVIDERS.iter().find(|(start, _)| words.iter().any(|w| w.starts_with(start))).map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_providers_are_named_from_their_user_agents() {
        assert_eq!(identity_provider("Okta SCIM Client 1.0.0"), Some("Okta"));
        assert_eq!(identity_provider("okta-scim/2"), Some("Okta"));
        assert_eq!(identity_provider("Microsoft.ActiveDirectory.Provisioning/1.0"), Some("Microsoft Entra ID"));
        assert_eq!(identity_provider("AzureAD-Provisioning"), Some("Microsoft Entra ID"));
        assert_eq!(identity_provider("Entra ID SCIM"), Some("Microsoft Entra ID"));
        assert_eq!(identity_provider("OneLogin SCIM"), Some("OneLogin"));
        assert_eq!(identity_provider("JumpCloud-SCIM/1.2"), Some("JumpCloud"));
        assert_eq!(identity_provider("Google-Workspace-Provisioning"), Some("Google Workspace"));
    }

    #[test]
    fn other_clients_and_words_that_merely_contain_a_name_are_not_named() {
        assert_eq!(identity_provider("curl/8.5.0"), None);
        assert_eq!(identity_provider("python-requests/2.31"), None);
        assert_eq!(identity_provider(""), None);
        // "central" holds "entra", "bookta" holds "okta": not at a word's start.
        assert_eq!(identity_provider("SCIM-Central/1.0"), None);
        assert_eq!(identity_provider("bookta/1"), None);
    }

    #[test]
    fn a_user_agent_is_bounded_and_stripped_of_what_could_mislead() {
        assert_eq!(kept(b"Okta SCIM Client 1.0.0").as_deref(), Some("Okta SCIM Client 1.0.0"));
        assert_eq!(kept(b"  a\tb\r\nc\x00d\x7f  ").as_deref(), Some("abcd"));
        assert_eq!(kept("x\u{202E}y\u{200B}z\u{FEFF}".as_bytes()).as_deref(), Some("xyz"));
        assert_eq!(kept(b"caf\xe9").as_deref(), Some("caf\u{FFFD}"));
        assert_eq!(kept(b""), None);
        assert_eq!(kept(b" \x01 "), None);
        let long = "é".repeat(500);
        let k = kept(long.as_bytes()).unwrap();
        assert_eq!(k.chars().count(), MAX_CHARS);
        assert!(k.chars().all(|c| c == 'é'));
    }
}
