//! Crawl-trap guards: URLs a site can generate without end.
//!
//! Besides the depth and page limits (in each site's `max_depth` and `max_pages`):
//! paths whose segments repeat (`/a/b/a/b/a/b/`, from relative links that
//! resolve against themselves), and calendars (a page per day linking to
//! the next day, forever), recognised by a date standing alone in a path
//! segment or a query value and capped per URL shape. And URLs longer than
//! [`MAX_URL_BYTES`]: only a generator makes them.

use std::sync::LazyLock;

use regex::Regex;
use townreports_proto::MAX_URL_BYTES;
use url::Url;

/// Times one segment may occur in a path.
const MAX_SEGMENT_REPEATS: usize = 2;
/// URLs of one calendar shape (digits masked) a site may have: a month of days.
pub const MAX_CALENDAR_PAGES: usize = 31;

/// A whole segment or query value that is a date: `2024-01-15`,
/// `20240115`, `2024/1` (the path form is caught segment by segment below).
static DATE_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(19|20)\d{2}[-_./]?(0?[1-9]|1[0-2])([-_./]?(0?[1-9]|[12]\d|3[01]))?(\.s?html?)?$")
        .expect("static regex")
});
/// Query keys calendars are driven by.
const CALENDAR_KEYS: &[&str] = &[
    "date", "day", "month", "year", "ym", "ymd", "rq", "riqi", "calendar", "cal",
];
static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").expect("static regex"));

/// Why a link is not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    RepeatingPath,
    Calendar,
    LongUrl,
}

impl Trap {
    pub fn as_str(self) -> &'static str {
        match self {
            Trap::RepeatingPath => "repeating_path",
            Trap::Calendar => "calendar",
            Trap::LongUrl => "long_url",
        }
    }
}

/// A URL longer than [`MAX_URL_BYTES`] as it would be fetched.
pub fn too_long(url: &Url) -> bool {
    url.as_str().len() > MAX_URL_BYTES
}

/// A path in which some segment occurs more than twice.
pub fn repeating_path(url: &Url) -> bool {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    segments
        .iter()
        .any(|s| segments.iter().filter(|t| *t == s).count() > MAX_SEGMENT_REPEATS)
}

/// The shape of a calendar-like URL (digits masked), or `None` for an
/// ordinary one. TRS article paths (`/202401/t20240105_1.html`) are not
/// calendars: their dates are parts of names, not whole values.
pub fn calendar_shape(url: &Url) -> Option<String> {
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    let dated_path = segments.iter().any(|s| DATE_VALUE.is_match(s) && !is_year_month(s)) || ends_in_date(&segments);
    let dated_query = url.query_pairs().any(|(k, v)| {
        CALENDAR_KEYS.contains(&k.to_ascii_lowercase().as_str())
            || (DATE_VALUE.is_match(&v) && v.contains(['-', '/', '.']))
    });
    (dated_path || dated_query).then(|| {
        DIGITS
            .replace_all(&format!("{}?{}", url.path(), url.query().unwrap_or("")), "N")
            .into_owned()
    })
}

/// `/2024/01/15.html`, `/2024/1/` or `/2024/01/15/index.html`: the page is
/// the date. Hanweb's `/art/2024/1/5/art_1234_5.html` is an article filed
/// under its date, not a calendar.
fn ends_in_date(segments: &[&str]) -> bool {
    let tail: Vec<&str> = match segments.last() {
        Some(last) if last.is_empty() || last.starts_with("index.") => segments[..segments.len() - 1].to_vec(),
        _ => segments.to_vec(),
    };
    let n = tail.len();
    (n >= 2 && is_year(tail[n - 2]) && is_month_or_day(tail[n - 1]))
        || (n >= 3 && is_year(tail[n - 3]) && is_month_or_day(tail[n - 2]) && is_month_or_day(tail[n - 1]))
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && s.parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y))
}

fn is_month_or_day(s: &str) -> bool {
    let s = s.trim_end_matches(".html").trim_end_matches(".htm");
    (1..=2).contains(&s.len()) && s.parse::<u32>().is_ok_and(|n| (1..=31).contains(&n))
}

/// `202401`: how TRS and Hanweb name a month's article folder, not a calendar.
fn is_year_month(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn repeating_segments_are_traps() {
        assert!(repeating_path(&url("http://h/a/b/a/b/a/b/index.html")));
        assert!(!repeating_path(&url("http://h/zwgk/zfxxgk/202401/t20240105_1.html")));
        assert!(!repeating_path(&url("http://h/a/a/index.html")));
    }

    #[test]
    fn calendars_are_recognised_and_articles_are_not() {
        for trap in [
            "http://h/calendar/2024-01-15.html",
            "http://h/events/2024/01/15.html",
            "http://h/rl/index.jsp?date=2024-01-15",
            "http://h/list.jsp?year=2024&month=2",
            "http://h/day/20240115",
        ] {
            assert!(calendar_shape(&url(trap)).is_some(), "{trap}");
        }
        for article in [
            "http://h/zwgk/202401/t20240105_1.html",
            "http://h/art/2024/1/5/art_1234_567.html",
            "http://h/col/col123/index.html?uid=1&pageNum=2",
            "http://h/zwgk/index_2.html",
            "http://h/2024/report.html",
        ] {
            assert_eq!(calendar_shape(&url(article)), None, "{article}");
        }
        assert_eq!(
            calendar_shape(&url("http://h/calendar/2024-01-15.html")),
            calendar_shape(&url("http://h/calendar/2031-12-01.html"))
        );
    }
}
