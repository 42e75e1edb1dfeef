//! Domain names as verified domains need them (issue 11 item 5), without
//! I/O: normalising what an operator typed (lower case, no trailing dot, a
//! hostname of at least two labels; IDNA is not done: an internationalised
//! domain is written in its `xn--` form), the consumer mail domains no
//! tenant may claim, the TXT record that proves control, and whether a
//! verified domain covers another.

/// The label the TXT record is published under: `_scimd-challenge.<domain>`.
pub const CHALLENGE_LABEL: &str = "_scimd-challenge";

/// What the TXT record's value starts with: `scimd-verification=<random>`.
pub const TXT_PREFIX: &str = "scimd-verification=";

/// Mail domains anyone can get an address at: a tenant verifying one would
/// vouch for strangers. A domain is refused when it is one of these or a
/// subdomain of one; `gmx.*` (every GMX country domain) is matched by its
/// first label.
const CONSUMER_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.de",
    "hotmail.it",
    "live.com",
    "live.co.uk",
    "live.fr",
    "msn.com",
    "passport.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.co.jp",
    "yahoo.fr",
    "yahoo.de",
    "ymail.com",
    "rocketmail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "aim.com",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
    "tutanota.com",
    "tuta.io",
    "zoho.com",
    "zohomail.com",
    "fastmail.com",
    "hey.com",
    "mail.com",
    "email.com",
    "web.de",
    "t-online.de",
    "freenet.de",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "virgilio.it",
    "mail.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "yandex.ru",
    "yandex.com",
    "ya.ru",
    "rambler.ru",
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "sina.com",
    "sohu.com",
    "aliyun.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "rediffmail.com",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "interia.pl",
    "onet.pl",
    "bol.com.br",
    "uol.com.br",
    "terra.com.br",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "bellsouth.net",
    "cox.net",
    "charter.net",
    "earthlink.net",
    "btinternet.com",
    "sky.com",
    "virginmedia.com",
    "shaw.ca",
    "rogers.com",
    "sympatico.ca",
    "bigpond.com",
    "optusnet.com.au",
    "xtra.co.nz",
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
    "duck.com",
];

/// Why a name is not a domain a tenant can claim, in plain words.
pub type NameError = String;

/// The normalised form of a domain: trimmed, ASCII lower case, one trailing
/// dot dropped; refused unless it is a hostname (labels of letters, digits
/// and inner hyphens, 1 to 63 characters, 253 in all) of at least two
/// labels whose last is not all digits (not an IP address).
pub fn normalise(input: &str) -> Result<String, NameError> {
    let name = input.trim();
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err("the domain is empty".into());
    }
    if !name.is_ascii() {
        return Err(format!(
            "{:?} is not ASCII: write an internationalised domain in its xn-- (punycode) form",
            super::audit::bounded(name, 64)
        ));
    }
    let name = name.to_ascii_lowercase();
    if name.len() > 253 {
        return Err("a domain is at most 253 characters long".into());
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(format!("{name:?} is not a domain of at least two labels (like example.com)"));
    }
    for label in &labels {
        let valid = (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(format!(
                "{:?} is not a hostname: each label is 1 to 63 letters, digits or inner hyphens",
                super::audit::bounded(&name, 64)
            ));
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!("{name:?} is an address, not a domain"));
    }
    Ok(name)
}

/// The consumer mail domain `domain` is, or is under (`gmx.*` for every
/// GMX domain); `None` for any other.
pub fn consumer_domain(domain: &str) -> Option<&'static str> {
    if let Some(hit) = CONSUMER_DOMAINS.iter().copied().find(|c| covers(c, true, domain)) {
        return Some(hit);
    }
    // gmx.de, gmx.net, gmx.co.uk, mail.gmx.com…: a `gmx` label followed by
    // a top-level domain, or by a country's second level (co.uk, com.tr).
    let labels: Vec<&str> = domain.split('.').collect();
    let n = labels.len();
    let gmx = labels.iter().enumerate().any(|(i, l)| {
        *l == "gmx"
            && match n - i - 1 {
                1 => true,
                2 => ["co", "com", "net", "org"].contains(&labels[i + 1]),
                _ => false,
            }
    });
    gmx.then_some("gmx.*")
}

/// The name the TXT record proving control of `domain` is published under.
pub fn txt_name(domain: &str) -> String {
    format!("{CHALLENGE_LABEL}.{domain}")
}

/// Whether a verified `verified` covers `domain`: the same domain, or, with
/// `include_subdomains`, one under it. Both normalised.
pub fn covers(verified: &str, include_subdomains: bool, domain: &str) -> bool {
    domain == verified
        || (include_subdomains
            && domain.len() > verified.len()
            && domain.ends_with(verified)
            && domain.as_bytes()[domain.len() - verified.len() - 1] == b'.')
}

/// `domain` and the domains above it of at least two labels, nearest first:
/// `a.b.example.com` → `a.b.example.com`, `b.example.com`, `example.com`
/// (the claims that could cover it).
pub fn with_parents(domain: &str) -> Vec<String> {
    let mut out = vec![domain.to_owned()];
    let mut rest = domain;
    while let Some((_, parent)) = rest.split_once('.') {
        if !parent.contains('.') {
            break;
        }
        out.push(parent.to_owned());
        rest = parent;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_or_refused_in_plain_words() {
        assert_eq!(normalise(" Example.COM. ").unwrap(), "example.com");
        assert_eq!(normalise("xn--bcher-kva.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(normalise("a-b.c1.io").unwrap(), "a-b.c1.io");
        for bad in ["", ".", "com", "localhost", "exa mple.com", "-a.com", "a-.com", "a..com", "a_b.com", "1.2.3.4"] {
            assert!(normalise(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(normalise("bücher.example").unwrap_err().contains("xn--"));
        assert!(normalise(&format!("{}.com", "a".repeat(64))).is_err());
        let long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert!(normalise(&long).unwrap_err().contains("253"));
        assert!(normalise("192.168.0.1").unwrap_err().contains("address"));
    }

    #[test]
    fn consumer_domains_and_their_subdomains_are_known() {
        assert_eq!(consumer_domain("gmail.com"), Some("gmail.com"));
        assert_eq!(consumer_domain("eu.mail.ru"), Some("mail.ru"));
        assert_eq!(consumer_domain("gmx.de"), Some("gmx.*"));
        assert_eq!(consumer_domain("gmx.co.uk"), Some("gmx.*"));
        assert_eq!(consumer_domain("proton.me"), Some("proton.me"));
        assert_eq!(consumer_domain("example.com"), None);
        assert_eq!(consumer_domain("notgmail.com"), None);
        assert_eq!(consumer_domain("gmx-partner.com"), None);
        assert_eq!(consumer_domain("mail.gmx.net"), Some("gmx.*"));
        assert_eq!(consumer_domain("gmx.example.com"), None);
    }

    #[test]
    fn verified_domains_cover_subdomains_only_when_asked() {
        assert!(covers("example.com", false, "example.com"));
        assert!(!covers("example.com", false, "eu.example.com"));
        assert!(covers("example.com", true, "eu.example.com"));
        assert!(covers("example.com", true, "a.b.example.com"));
        assert!(!covers("example.com", true, "badexample.com"));
        assert!(!covers("eu.example.com", true, "example.com"));
    }

    #[test]
    fn parents_are_listed_down_to_two_labels() {
        assert_eq!(with_parents("a.b.example.com"), ["a.b.example.com", "b.example.com", "example.com"]);
        assert_eq!(with_parents("example.com"), ["example.com"]);
        assert_eq!(txt_name("example.com"), "_scimd-challenge.example.com");
    }
}
