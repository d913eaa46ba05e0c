//! Subjects, streams and consumers: defined once, used by every service and
//! drawn in the README's flow diagram.
//!
//! ```text
//! scheduler ──FetchJob──▶ TOWNREPORTS_FETCH ──▶ fetcher
//! fetcher ──FetchedPage──▶ TOWNREPORTS_PAGES ──▶ parser
//! fetcher ──FetchOutcome─┐
//! parser ──DiscoveredLinks┴▶ TOWNREPORTS_FRONTIER ──▶ scheduler
//! parser ──ParsedDocument──▶ TOWNREPORTS_DOCS ──▶ extractor
//! extractor ──ReportRecord──▶ TOWNREPORTS_RECORDS ──▶ indexer
//! indexer ──ReportEvent──▶ TOWNREPORTS_EVENTS ──▶ subscribers
//! any worker ──poison──▶ TOWNREPORTS_DLQ (townreports.dlq.<stage>)
//! ```

/// Every subject of the system starts with this token.
pub const PREFIX: &str = "townreports";

pub const SUBJECT_FETCH_JOBS: &str = "townreports.fetch.jobs";
pub const SUBJECT_PAGES_FETCHED: &str = "townreports.pages.fetched";
pub const SUBJECT_FRONTIER_OUTCOMES: &str = "townreports.frontier.outcomes";
pub const SUBJECT_FRONTIER_LINKS: &str = "townreports.frontier.links";
pub const SUBJECT_DOCS_PARSED: &str = "townreports.docs.parsed";
pub const SUBJECT_RECORDS_EXTRACTED: &str = "townreports.records.extracted";

/// Root of the event subjects (`townreports.reports.new.…`).
pub const SUBJECT_REPORTS: &str = "townreports.reports";
/// Root of the dead-letter subjects (`townreports.dlq.<stage>`).
pub const SUBJECT_DLQ: &str = "townreports.dlq";

pub const STREAM_EVENTS: &str = "TOWNREPORTS_EVENTS";
pub const STREAM_DLQ: &str = "TOWNREPORTS_DLQ";

/// The object-store bucket for payloads too large for one message.
pub const BLOB_BUCKET: &str = "townreports-blobs";

/// Headers on dead-lettered messages.
pub const HEADER_ERROR_CLASS: &str = "Townreports-Error-Class";
pub const HEADER_ERROR_MESSAGE: &str = "Townreports-Error-Message";
pub const HEADER_STAGE: &str = "Townreports-Stage";
pub const HEADER_DELIVERIES: &str = "Townreports-Deliveries";
pub const HEADER_ORIGINAL_SUBJECT: &str = "Townreports-Original-Subject";

/// A worker type. Each consumes one work-queue stream through one durable
/// pull consumer shared by all its replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StageName {
    Scheduler,
    Fetcher,
    Parser,
    Extractor,
    Indexer,
}

impl StageName {
    /// In pipeline order.
    pub const ALL: [StageName; 5] = [
        StageName::Scheduler,
        StageName::Fetcher,
        StageName::Parser,
        StageName::Extractor,
        StageName::Indexer,
    ];

    /// Lower-case name: the durable consumer's name, the DLQ subject's last
    /// token, the CLI subcommand and the metric label.
    pub const fn name(self) -> &'static str {
        match self {
            StageName::Scheduler => "scheduler",
            StageName::Fetcher => "fetcher",
            StageName::Parser => "parser",
            StageName::Extractor => "extractor",
            StageName::Indexer => "indexer",
        }
    }

    /// The work-queue stream this stage consumes.
    pub const fn stream(self) -> &'static str {
        match self {
            StageName::Scheduler => "TOWNREPORTS_FRONTIER",
            StageName::Fetcher => "TOWNREPORTS_FETCH",
            StageName::Parser => "TOWNREPORTS_PAGES",
            StageName::Extractor => "TOWNREPORTS_DOCS",
            StageName::Indexer => "TOWNREPORTS_RECORDS",
        }
    }

    /// The subjects the stream captures (a wildcard over this stage's inputs).
    pub const fn stream_subjects(self) -> &'static str {
        match self {
            StageName::Scheduler => "townreports.frontier.>",
            StageName::Fetcher => "townreports.fetch.>",
            StageName::Parser => "townreports.pages.>",
            StageName::Extractor => "townreports.docs.>",
            StageName::Indexer => "townreports.records.>",
        }
    }

    /// The durable consumer all replicas of this stage share.
    pub const fn consumer(self) -> &'static str {
        self.name()
    }

    /// Where this stage's poison messages go.
    pub fn dlq_subject(self) -> String {
        format!("{SUBJECT_DLQ}.{}", self.name())
    }

    pub fn from_name(name: &str) -> Option<StageName> {
        StageName::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What happened to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    New,
    Updated,
}

impl EventKind {
    pub const fn token(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Updated => "updated",
        }
    }
}

/// `townreports.reports.new.<province>.<city>.<county>.<township>.<report_id>`
/// where the place tokens are the 2-, 4-, 6- and 9-digit prefixes of the
/// division code, `_` where that level is unknown.
///
/// Updates carry the version as a last token
/// (`townreports.reports.updated.….<report_id>.<version>`): the events
/// stream keeps one message per subject, so each version needs its own.
pub fn report_event_subject(kind: EventKind, division_code: Option<&str>, report_id: &str, version: i64) -> String {
    let [p, c, co, t] = division_tokens(division_code);
    let base = format!(
        "{SUBJECT_REPORTS}.{}.{p}.{c}.{co}.{t}.{}",
        kind.token(),
        subject_token(report_id)
    );
    match kind {
        EventKind::New => base,
        EventKind::Updated => format!("{base}.{version}"),
    }
}

/// The four place tokens of an event subject for a (possibly partial) code.
/// A level is known when its digits are present and not all zero.
pub fn division_tokens(code: Option<&str>) -> [String; 4] {
    let digits: String = code.unwrap_or("").chars().take_while(|c| c.is_ascii_digit()).collect();
    let level = |len: usize, own: std::ops::Range<usize>| -> String {
        if digits.len() >= len && digits[own].chars().any(|c| c != '0') {
            digits[..len].to_string()
        } else {
            "_".to_string()
        }
    };
    let province = level(2, 0..2);
    let city = if province == "_" { "_".into() } else { level(4, 2..4) };
    let county = if city == "_" { "_".into() } else { level(6, 4..6) };
    let township = if county == "_" { "_".into() } else { level(9, 6..9) };
    [province, city, county, township]
}

/// A NATS subject token may not contain `.`, `*`, `>` or whitespace.
pub fn subject_token(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c == '.' || c == '*' || c == '>' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if t.is_empty() { "_".into() } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_subject_carries_every_known_level() {
        assert_eq!(
            report_event_subject(EventKind::New, Some("511102109"), "r1", 1),
            "townreports.reports.new.51.5111.511102.511102109.r1"
        );
    }

    #[test]
    fn unknown_levels_are_underscores() {
        assert_eq!(
            report_event_subject(EventKind::New, None, "abc", 1),
            "townreports.reports.new._._._._.abc"
        );
        // a province-only code (510000000) knows only the province
        assert_eq!(
            report_event_subject(EventKind::Updated, Some("510000000"), "x.y", 2),
            "townreports.reports.updated.51._._._.x_y.2"
        );
    }

    #[test]
    fn stage_names_round_trip() {
        for s in StageName::ALL {
            assert_eq!(StageName::from_name(s.name()), Some(s));
            assert!(s.stream_subjects().starts_with(PREFIX));
        }
    }
}
