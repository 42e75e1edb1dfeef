//! The activity chart of a tenant's page: for each of the last hours, a
//! bar of what happened — users and groups created, changed, deleted, and
//! requests refused or failed — stacked, as SVG rendered here (no script,
//! no inline style: colours are presentation attributes, which the pages'
//! Content-Security-Policy allows). Pure: counts in, markup out.

use std::fmt::Write as _;

use scim_store::EventType;
use scim_store::activity::{Activity, HourCount};
use time::{Duration, OffsetDateTime};

/// The stacks of a bar, bottom up: a name and a colour.
pub const SERIES: [(&str, &str); 5] = [
    ("created", "#1a7f37"),
    ("changed", "#0b5cad"),
    ("deleted", "#8250df"),
    ("refused", "#bc4c00"),
    ("failed", "#cf222e"),
];

/// Which stack a count adds to.
fn series(what: Activity) -> usize {
    match what {
        Activity::Event(EventType::UserCreated | EventType::GroupCreated) => 0,
        Activity::Event(EventType::UserDeleted | EventType::GroupDeleted) => 2,
        Activity::Event(_) => 1,
        Activity::Refused => 3,
        Activity::Failed => 4,
    }
}

/// One hour's counts per series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub hour: OffsetDateTime,
    pub counts: [u64; 5],
}

impl Bar {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `3 created, 1 refused` (or `nothing`).
    pub fn words(&self) -> String {
        let parts: Vec<String> = self
            .counts
            .iter()
            .zip(SERIES)
            .filter(|(n, _)| **n > 0)
            .map(|(n, (name, _))| format!("{n} {name}"))
            .collect();
        if parts.is_empty() { "nothing".to_owned() } else { parts.join(", ") }
    }
}

/// The start of the hour `t` is in.
fn hour_of(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_time(time::Time::from_hms(t.hour(), 0, 0).unwrap_or(time::Time::MIDNIGHT))
}

/// The `hours` bars ending with the hour `now` is in, oldest first; counts
/// outside them are left out.
pub fn bars(counts: &[HourCount], now: OffsetDateTime, hours: u32) -> Vec<Bar> {
    let last = hour_of(now);
    let first = last - Duration::hours(i64::from(hours.saturating_sub(1)));
    let mut out: Vec<Bar> =
        (0..hours).map(|i| Bar { hour: first + Duration::hours(i64::from(i)), counts: [0; 5] }).collect();
    for c in counts {
        let at = hour_of(c.hour);
        if at < first || at > last {
            continue;
        }
        let i = ((at - first).whole_hours()) as usize;
        if let Some(bar) = out.get_mut(i) {
            bar.counts[series(c.what)] += c.count;
        }
    }
    out
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `n` (the axis' top).
fn nice(n: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= n {
                return step * m;
            }
        }
        step *= 10;
    }
}

const WIDTH: u64 = 960;
const HEIGHT: u64 = 220;
const LEFT: u64 = 44;
const BOTTOM: u64 = 24;
const TOP: u64 = 8;

/// The chart of `bars` as an `<svg>` element, with a title and a
/// description for screen readers and a `<title>` per bar (its hour and
/// counts in words).
pub fn svg(bars: &[Bar]) -> String {
    let top = nice(bars.iter().map(Bar::total).max().unwrap_or(0).max(1));
    let plot_h = HEIGHT - BOTTOM - TOP;
    let n = bars.len().max(1) as u64;
    let slot = (WIDTH - LEFT) as f64 / n as f64;
    let bar_w = (slot * 0.8).max(1.0);
    let total: u64 = bars.iter().map(Bar::total).sum();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        s,
        r#"<title id="chart-title">Provisioning activity per hour</title><desc id="chart-desc">{} hours, {total} in all; the busiest hour had {}.</desc>"#,
        bars.len(),
        bars.iter().map(Bar::total).max().unwrap_or(0)
    );
    // The axis: the top value, zero, and a line.
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{WIDTH}\" y2=\"{base}\" stroke=\"#8c959f\"/>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{WIDTH}\" y2=\"{TOP}\" stroke=\"#d0d7de\" stroke-dasharray=\"4 4\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\" fill=\"#57606a\">{top}</text>\
         <text x=\"{}\" y=\"{base}\" text-anchor=\"end\" font-size=\"12\" fill=\"#57606a\">0</text>",
        LEFT - 6,
        TOP + 10,
        LEFT - 6
    );
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT as f64 + slot * i as f64 + (slot - bar_w) / 2.0;
        let label = format!("{} UTC: {}", super::page::when(bar.hour).trim_end_matches(" UTC"), bar.words());
        let _ = write!(s, "<g><title>{label}</title>");
        // An invisible full-height target, so an empty hour has a tooltip too.
        let _ =
            write!(s, "<rect x=\"{x:.1}\" y=\"{TOP}\" width=\"{bar_w:.1}\" height=\"{plot_h}\" fill=\"transparent\"/>");
        let mut y = base as f64;
        for (count, (name, colour)) in bar.counts.iter().zip(SERIES) {
            if *count == 0 {
                continue;
            }
            let h = (*count as f64 / top as f64) * plot_h as f64;
            y -= h;
            let _ = write!(
                s,
                "<rect class=\"{name}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"{colour}\"/>"
            );
        }
        s.push_str("</g>");
        // An hour label every six hours.
        if bar.hour.hour() % 6 == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#57606a\">{:02}:00</text>",
                x + bar_w / 2.0,
                HEIGHT - 6,
                bar.hour.hour()
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::hours(h)
    }

    #[test]
    fn counts_land_in_their_hour_and_series_and_old_ones_are_left_out() {
        let now = at(47) + Duration::minutes(30);
        let counts = [
            HourCount { hour: at(47), what: Activity::Event(EventType::UserCreated), count: 3 },
            HourCount { hour: at(47), what: Activity::Event(EventType::GroupMemberAdded), count: 2 },
            HourCount { hour: at(47), what: Activity::Failed, count: 1 },
            HourCount { hour: at(0), what: Activity::Refused, count: 4 },
            HourCount { hour: at(-1), what: Activity::Refused, count: 99 },
        ];
        let bars = bars(&counts, now, 48);
        assert_eq!(bars.len(), 48);
        assert_eq!(bars[0].hour, at(0));
        assert_eq!(bars[0].counts, [0, 0, 0, 4, 0]);
        assert_eq!(bars[47].counts, [3, 2, 0, 0, 1]);
        assert_eq!(bars[47].words(), "3 created, 2 changed, 1 failed");
        assert_eq!(bars[10].words(), "nothing");
        assert_eq!(bars.iter().map(Bar::total).sum::<u64>(), 10);
    }

    #[test]
    fn the_axis_top_is_a_round_number_at_or_above_the_busiest_hour() {
        assert_eq!(
            [0, 1, 2, 3, 7, 10, 11, 49, 51, 999].map(|n| nice(n.max(1))),
            [1, 1, 2, 5, 10, 10, 20, 50, 100, 1000]
        );
    }

    #[test]
    fn the_svg_has_a_bar_per_series_with_counts_a_title_per_hour_and_no_inline_style() {
        let now = at(5);
        let counts = [
            HourCount { hour: at(5), what: Activity::Event(EventType::UserCreated), count: 5 },
            HourCount { hour: at(5), what: Activity::Refused, count: 5 },
        ];
        let svg = svg(&bars(&counts, now, 6));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<title>").count(), 6, "one per hour");
        assert_eq!(svg.matches("class=\"created\"").count(), 1);
        assert_eq!(svg.matches("class=\"refused\"").count(), 1);
        assert!(svg.contains("5 created, 5 refused"));
        // Two stacks of 5 reach the top (10) exactly: heights add up to the plot.
        assert!(svg.contains(">10</text>"));
        assert!(!svg.contains("style="), "the CSP allows no inline style");
        assert!(svg.contains("10 in all"));
    }
}
