//! Cursors for cursor-based paging (RFC 9865): what `nextCursor` holds and
//! how a `cursor` parameter is read back.
//!
//! A cursor is stateless: the server keeps nothing between pages, so a
//! cursor never expires (the advertised `cursorTimeout` is a floor, not a
//! deadline) and any node behind a load balancer can serve the next page.
//! It holds a place in the list, either
//! - after a resource in the default order (creation time, then id), at the
//!   root `/.search` also naming the resource's type (Users come before
//!   Groups): the store resumes from an index range, so the last page of
//!   100,000 users costs what the first does, and resources created or
//!   deleted during the walk shift nothing; or
//! - an offset, where the order is `sortBy`: such pages cost what
//!   `startIndex` does, and like `startIndex` they shift when resources are
//!   created or deleted during the walk (RFC 9865 does not ask for
//!   snapshots; a keyset on the sort value would remove this),
//!
//! and a digest of the query it belongs to (tenant, endpoint, `filter`,
//! `sortBy`, `sortOrder`). RFC 9865 §2 has the client repeat every parameter
//! but the cursor; a cursor used with another query is `invalidCursor`
//! rather than a silently wrong page. The text is base64url (RFC 4648 §5,
//! no padding): only RFC 3986 unreserved characters, as §2 requires.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scim_core::{ScimError, ScimType};
use scim_store::{After, ResourceKind};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

/// The format's version: cursors of another format are refused, not
/// misread.
const VERSION: &str = "1";

/// The largest offset a cursor may hold (no list is longer).
const MAX_OFFSET: u64 = i64::MAX as u64;

/// Where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The first page (an empty `cursor`).
    Start,
    /// After this resource, in the default order.
    After(After),
    /// After this resource of this type, in the root `/.search`'s order
    /// (Users, then Groups, each in the default order).
    AfterIn(ResourceKind, After),
    /// After this many resources, in the query's order.
    Offset(u64),
}

/// The query a cursor belongs to: its digest is part of the cursor.
pub struct Scope<'a> {
    pub tenant: Uuid,
    /// `Users`, `Groups`, or `` for the tenant root.
    pub endpoint: &'a str,
    pub filter: Option<&'a str>,
    pub sort_by: Option<&'a str>,
    pub sort_order: Option<&'a str>,
}

impl Scope<'_> {
    fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.tenant.as_bytes());
        for part in [Some(self.endpoint), self.filter, self.sort_by, self.sort_order] {
            // Absent and empty differ; the length prefix keeps parts apart.
            match part {
                None => h.update([0u8]),
                Some(s) => {
                    h.update([1u8]);
                    h.update((s.len() as u64).to_be_bytes());
                    h.update(s.as_bytes());
                }
            }
        }
        hex::encode(&h.finalize()[..8])
    }
}

/// The `nextCursor` value for `position` in the query `scope`.
pub fn encode(scope: &Scope<'_>, position: Position) -> String {
    let place = match position {
        Position::Start => "s".to_owned(),
        Position::After(a) => format!("a.{}", place_of(a)),
        Position::AfterIn(kind, a) => format!("k.{}.{}", kind.as_str(), place_of(a)),
        Position::Offset(n) => format!("o.{n}"),
    };
    URL_SAFE_NO_PAD.encode(format!("{VERSION}.{}.{place}", scope.digest()))
}

fn place_of(a: After) -> String {
    let ms = a.created.unix_timestamp_nanos() / 1_000_000;
    format!("{ms}.{}", a.id.simple())
}

/// Reads `<ms>.<id>` back.
fn after_of(ms: &str, id: &str) -> Option<After> {
    let created = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms.parse::<i64>().ok()?) * 1_000_000).ok()?;
    Some(After { created, id: Uuid::try_parse(id).ok()? })
}

/// Reads a `cursor` parameter: empty is the first page; anything this
/// server did not issue for this query is `400 invalidCursor`.
/// A cursor of the right shape used with a paging method it cannot serve
/// (an offset without `sortBy`, a keyset with it).
pub fn invalid_cursor() -> ScimError {
    ScimError::bad_request(ScimType::InvalidCursor, "cursor is invalid for this query")
}

pub fn decode(scope: &Scope<'_>, cursor: &str) -> Result<Position, ScimError> {
    let cursor = cursor.trim();
    if cursor.is_empty() {
        return Ok(Position::Start);
    }
    let invalid = |why: &str| {
        ScimError::bad_request(
            ScimType::InvalidCursor,
            format!("cursor is invalid ({why}): send an empty cursor for the first page, then each page's nextCursor"),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid("not issued by this server"))?;
    let text = String::from_utf8(bytes).map_err(|_| invalid("not issued by this server"))?;
    let mut parts = text.split('.');
    if parts.next() != Some(VERSION) {
        return Err(invalid("not issued by this server"));
    }
    if parts.next() != Some(scope.digest().as_str()) {
        return Err(invalid("it belongs to another query: filter, sortBy and sortOrder must stay the same"));
    }
    let rest: Vec<&str> = parts.collect();
    // Cursors are not signed: a client can rewrite one, so every number is
    // bounded here and the arithmetic on it cannot overflow.
    let position = match rest.as_slice() {
        ["s"] => Some(Position::Start),
        ["o", n] => n.parse::<u64>().ok().filter(|n| *n <= MAX_OFFSET).map(Position::Offset),
        ["a", ms, id] => after_of(ms, id).map(Position::After),
        ["k", kind, ms, id] => {
            let kind = ResourceKind::parse(kind);
            kind.zip(after_of(ms, id)).map(|(kind, a)| Position::AfterIn(kind, a))
        }
        _ => None,
    };
    position.ok_or_else(|| invalid("not issued by this server"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(filter: Option<&'static str>) -> Scope<'static> {
        Scope { tenant: Uuid::nil(), endpoint: "Users", filter, sort_by: None, sort_order: None }
    }

    #[test]
    fn positions_round_trip_in_unreserved_characters() {
        let s = scope(Some("userName sw \"a\""));
        let after = After { created: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(), id: Uuid::now_v7() };
        for p in [
            Position::Start,
            Position::Offset(0),
            Position::Offset(MAX_OFFSET),
            Position::After(after),
            Position::AfterIn(ResourceKind::User, after),
            Position::AfterIn(ResourceKind::Group, after),
        ] {
            let c = encode(&s, p);
            assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)), "{c}");
            assert_eq!(decode(&s, &c).unwrap(), p);
        }
        assert_eq!(decode(&s, "").unwrap(), Position::Start);
    }

    #[test]
    fn a_cursor_of_another_query_or_a_made_up_one_is_invalid_cursor() {
        let c = encode(&scope(Some("active eq true")), Position::Offset(10));
        let other_filter = decode(&scope(Some("active eq false")), &c).unwrap_err();
        assert_eq!((other_filter.status, other_filter.scim_type), (400, Some(ScimType::InvalidCursor)));
        assert!(other_filter.detail.contains("another query"), "{}", other_filter.detail);
        assert!(decode(&scope(None), &c).is_err());
        let other_endpoint = Scope { endpoint: "Groups", ..scope(Some("active eq true")) };
        assert!(decode(&other_endpoint, &c).is_err());
        let other_tenant = Scope { tenant: Uuid::max(), ..scope(Some("active eq true")) };
        assert!(decode(&other_tenant, &c).is_err());
        let s = scope(None);
        let digest = s.digest();
        for bad in [
            "!!".to_owned(),
            "VZUTiyhEQJ94IR".to_owned(),
            URL_SAFE_NO_PAD.encode(format!("2.{digest}.o.1")),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.o.-1")),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.o.1.2")),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.a.12.not-a-uuid")),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.x")),
            // Rewritten by a client: numbers past what any list holds.
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.o.18446744073709551615")),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.a.99999999999999999999.{}", Uuid::nil().simple())),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.a.9223372036854775807.{}", Uuid::nil().simple())),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.k.Robot.12.{}", Uuid::nil().simple())),
            URL_SAFE_NO_PAD.encode(format!("1.{digest}.k.User.12")),
        ] {
            let e = decode(&s, &bad).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidCursor), "{bad}");
        }
    }
}
