//! The statements of a list (RFC 7644 §3.4.2), the same on every backend:
//! written through [`Dialect`], so each backend only runs them. The plan
//! ([`crate::list::plan`]) decides whether a list is answered here in SQL
//! (counted, ordered and paged) or read in batches for the evaluator.

use scim_core::sort::SortOrder;
use uuid::Uuid;

use crate::clock::to_ms;
use crate::list::{self, Visibility};
use crate::pushdown::{Dialect, Part};
use crate::{After, ListQuery, ResourceKind, StoredResource};

/// ` FROM resources r WHERE <tenant, kind, live> AND <cond>`, after the
/// caller's `SELECT …`. The kind is spelled as a literal so the planner can
/// use the partial indexes.
pub(crate) fn from_where(out: &mut impl Dialect, tenant: Uuid, kind: ResourceKind, part: &Part, seen: Visibility) {
    out.sql(" FROM resources r WHERE r.tenant = ");
    out.bind_id(tenant);
    out.sql(&format!(" AND r.kind = '{}'", kind.as_str()));
    match seen {
        Visibility::Live => out.sql(" AND r.deleted_at IS NULL"),
        Visibility::OnlyDeleted => out.sql(" AND r.deleted_at IS NOT NULL"),
        Visibility::WithDeleted => {}
    }
    if let Some(cond) = &part.cond {
        out.sql(" AND ");
        cond.render(out);
    }
}

/// ` AND (created, id) > (…)`: a range of the `resources_created` index,
/// after a place in the default order.
pub(crate) fn after(out: &mut impl Dialect, place: After) {
    out.sql(" AND (r.created, r.id) > (");
    out.bind_int(to_ms(place.created));
    out.sql(", ");
    out.bind_id(place.id);
    out.sql(")");
}

/// The next batch of candidates for the evaluator, in the default order,
/// after `from` (the last of the previous batch).
pub(crate) fn batch(out: &mut impl Dialect, from: Option<After>) {
    if let Some(place) = from {
        after(out, place);
    }
    out.sql(" ORDER BY r.created, r.id");
    out.limit(clamp(list::BATCH as u64), None);
}

/// The ORDER BY of a list answered in SQL: `sort_col` (none: the default
/// order), ties broken by the default order.
pub(crate) fn order_by(out: &mut impl Dialect, sort_col: Option<&str>, order: SortOrder) {
    let Some(col) = sort_col else {
        out.sql(" ORDER BY r.created, r.id");
        return;
    };
    let dir = if order == SortOrder::Descending { "DESC" } else { "ASC" };
    if matches!(col, "r.id" | "r.created" | "r.last_modified") {
        // Never empty: no `nullif` (which would compare them with text).
        out.sql(&format!(" ORDER BY {col} {dir}, r.created, r.id"));
    } else {
        // Resources without a value (RFC 7643 §2.5: "" is none) sort last
        // in either order.
        out.sql(&format!(" ORDER BY nullif({col}, '') IS NULL, nullif({col}, '') {dir}, r.created, r.id"));
    }
}

/// The page asked for, with one row more than asked: that row tells
/// whether another page follows ([`finish`]).
///
/// No `OFFSET` on a first page (or a cursor's): with a bound offset,
/// PostgreSQL never settles on a prepared statement's generic plan and
/// plans every run again (`pg_prepared_statements` after 10 executions of
/// the `userName eq` list: 10 custom plans; without the offset, generic
/// from the sixth).
pub(crate) fn page(out: &mut impl Dialect, query: &ListQuery<'_>) {
    let offset = query.start_index.saturating_sub(1);
    out.limit(clamp(query.count.saturating_add(1)), (offset > 0).then(|| clamp(offset)));
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A page read by [`page`], cut to size.
pub(crate) struct Read {
    /// More matches follow.
    pub more: bool,
    /// The total, when the page tells it without counting; `None`: count.
    pub total: Option<u64>,
}

/// Cuts `resources` (read by [`page`]) to the page and says what it tells.
/// `keyset`: the page was read after a place ([`after`]), so what came
/// before it is unknown.
pub(crate) fn finish(
    resources: &mut Vec<StoredResource>,
    query: &ListQuery<'_>,
    keyset: bool,
    seen: Visibility,
) -> Read {
    let offset = query.start_index.saturating_sub(1);
    let more = resources.len() as u64 > query.count;
    resources.truncate(usize::try_from(query.count).unwrap_or(usize::MAX));
    // A short first page (or one past the end) tells the total without
    // counting; after a keyset position, what came before is unknown.
    let short = !more && (!resources.is_empty() || offset == 0) && !keyset;
    let total = match seen {
        // Not counted: the admin views page by cursor and show no total.
        Visibility::WithDeleted | Visibility::OnlyDeleted => Some(0),
        Visibility::Live if short => Some(offset + resources.len() as u64),
        Visibility::Live => None,
    };
    Read { more, total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushdown::tests::Spelled;

    #[test]
    fn text_columns_sort_empty_values_last_and_others_plainly() {
        let mut t = Spelled::default();
        order_by(&mut t, Some("r.user_name"), SortOrder::Descending);
        assert_eq!(t.0, " ORDER BY nullif(r.user_name, '') IS NULL, nullif(r.user_name, '') DESC, r.created, r.id");
        let mut t = Spelled::default();
        order_by(&mut t, Some("r.last_modified"), SortOrder::Ascending);
        assert_eq!(t.0, " ORDER BY r.last_modified ASC, r.created, r.id");
        let mut t = Spelled::default();
        order_by(&mut t, None, SortOrder::Ascending);
        assert_eq!(t.0, " ORDER BY r.created, r.id");
    }

    #[test]
    fn deleted_rows_are_excluded_only_from_live_lists() {
        let part = Part { cond: None, exact: true, pinned: false };
        let mut live = Spelled::default();
        from_where(&mut live, Uuid::nil(), ResourceKind::User, &part, Visibility::Live);
        assert!(live.0.ends_with("AND r.kind = 'User' AND r.deleted_at IS NULL"), "{}", live.0);
        let mut all = Spelled::default();
        from_where(&mut all, Uuid::nil(), ResourceKind::Group, &part, Visibility::WithDeleted);
        assert!(all.0.ends_with("AND r.kind = 'Group'"), "{}", all.0);
    }

    #[test]
    fn a_batch_resumes_after_the_last_place_in_the_default_order() {
        let mut t = Spelled::default();
        let place = After { created: time::OffsetDateTime::UNIX_EPOCH, id: Uuid::nil() };
        batch(&mut t, Some(place));
        assert_eq!(
            t.0,
            format!(
                " AND (r.created, r.id) > (<0>, <id {}>) ORDER BY r.created, r.id LIMIT <{}>",
                Uuid::nil(),
                list::BATCH
            )
        );
    }
}
