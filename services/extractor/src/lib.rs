//! The extractor: a parsed document in, a report record out — every field
//! right or honestly empty, each filled one with the evidence it came from.
//!
//! Pure logic, one concern per module:
//!
//! - [`script`]: traditional script read as simplified, spans kept.
//! - [`text`]: chrome out, its metadata kept.
//! - [`title`]: the document's own title among the chrome.
//! - [`meta`]: publisher, date and kind of source.
//! - [`classify`]: report or not, and which kind.
//! - [`years`]: the year reviewed and the year planned.
//! - [`meeting`]: congress session and speaker.
//! - [`division`]: which township, via the national table.
//! - [`outline`]: the numbered headings and what each section is.
//! - [`metrics`]: indicators with value, unit, growth and kind.
//! - [`entities`]: villages, enterprises, projects.
//! - [`numerals`]: Chinese numerals to numbers.
//! - [`eval`]: records scored against labelled pages.
//!
//! [`extract`] puts them together; [`extract_crawled`] is what the worker
//! and `townreports reprocess` call. NATS glue: [`worker`].

pub mod classify;
pub mod division;
pub mod entities;
pub mod eval;
pub mod meeting;
pub mod meta;
pub mod metrics;
pub mod numerals;
pub mod outline;
pub mod script;
pub mod text;
pub mod title;
pub mod worker;
pub mod years;

use std::sync::LazyLock;

use regex::Regex;
use townreports_proto::v1::{
    FieldEvidence, Meeting, Metric, ParsedDocument, ReportRecord, Section, Source, Span, Speaker,
};

use crate::classify::DocType;
use crate::text::char_span;

/// Bumped when extraction changes what it produces.
pub const EXTRACTOR_VERSION: &str = "0.1.0";

/// Where a document came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file given to `townreports extract`, with the address it was
    /// published at when that is known (`--url`, or the saved page's own).
    File { path: String, url: Option<String> },
    /// A page crawled from a site of the sites file.
    Url { url: String, site_id: String },
}

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:XX|ＸＸ|××|xx|\*\*|某某|某)(?:镇|乡|街道)|^(?:镇|乡|街道)(?:\d{4}|上半年|下半年)")
        .expect("static regex")
});

struct Evidence<'a> {
    text: &'a str,
    items: Vec<FieldEvidence>,
}

impl Evidence<'_> {
    /// Evidence from the text: the span of `quote` in it.
    fn text(&mut self, field: &str, quote: &str) {
        let span = char_span(self.text, quote).map(|(start, end)| Span { start, end });
        self.items.push(FieldEvidence {
            field: field.into(),
            span,
            quote: quote.into(),
            origin: "text".into(),
        });
    }

    /// Evidence from page chrome or metadata, which is not part of the text.
    fn meta(&mut self, field: &str, quote: &str, origin: &str) {
        self.items.push(FieldEvidence {
            field: field.into(),
            span: None,
            quote: quote.into(),
            origin: origin.into(),
        });
    }
}

/// Extracts the record of a crawled document (its origin the URL and site
/// of its fetch job): what the extractor worker and `townreports
/// reprocess` both call.
pub fn extract_crawled(doc: &ParsedDocument) -> ReportRecord {
    let origin = Origin::Url {
        url: doc.url.clone(),
        site_id: doc.job.as_ref().map(|j| j.site_id.clone()).unwrap_or_default(),
    };
    extract(doc, &origin)
}

/// Extracts the record of one document. A page printed in traditional
/// script is read in simplified characters; its record keeps the text as
/// printed, and every span points at the same characters in both.
pub fn extract(doc: &ParsedDocument, origin: &Origin) -> ReportRecord {
    if !(script::is_traditional(&doc.text) || script::is_traditional(&doc.title)) {
        return extract_simplified(doc, origin);
    }
    let simple = simplified_document(doc);
    let mut record = extract_simplified(&simple, origin);
    let printed = script::as_printed(&record.text, &simple.text, &doc.text);
    let slice = |span: &Span| -> String {
        printed
            .chars()
            .skip(span.start as usize)
            .take(span.end.saturating_sub(span.start) as usize)
            .collect()
    };
    for evidence in &mut record.evidence {
        if let Some(span) = &evidence.span {
            evidence.quote = slice(span);
        }
    }
    for metric in &mut record.metrics {
        if let Some((start, end)) = char_span(&record.text, &metric.sentence) {
            metric.sentence = slice(&Span { start, end });
        }
    }
    record.text = printed;
    record
}

/// `doc` with its text, title and metadata in simplified characters.
fn simplified_document(doc: &ParsedDocument) -> ParsedDocument {
    let convert = |s: &str| script::simplified(s).unwrap_or_else(|| s.to_string());
    let mut simple = doc.clone();
    simple.text = convert(&doc.text);
    simple.title = convert(&doc.title);
    for value in simple.meta.values_mut().chain(simple.disclosure.values_mut()) {
        *value = convert(value);
    }
    simple
}

fn extract_simplified(doc: &ParsedDocument, origin: &Origin) -> ReportRecord {
    let (text, chrome) = text::clean(&doc.text);
    let mut ev = Evidence {
        text: &text,
        items: Vec::new(),
    };

    let title = title::pick(doc, &chrome, &text);
    let title_str = title.as_ref().map(|t| t.title.as_str()).unwrap_or("");
    match &title {
        Some(title::Title { line: Some(line), .. }) => ev.text("title", line),
        Some(t) => ev.meta("title", &t.title, t.origin),
        None => {}
    }

    // A page of a sentence or two with a file attached ("the full text is
    // attached") announces a report; the attachment is the report.
    let substantial = doc.attachments.is_empty() || townreports_parser::has_own_body(&text);
    // Without a title, an aggregator's blurb still says what the page holds.
    let blurb = title.is_none().then(|| title::blurb_name(&text)).flatten();
    let type_title = blurb.as_deref().unwrap_or(title_str);
    let doc_type = classify::doc_type(type_title, &text).filter(|_| {
        substantial
            && !classify::writing_template(&text)
            && (classify::township_voice(type_title, &text)
                || (!classify::names_a_document(type_title) && classify::no_higher_voice(&text)))
            && !classify::speaks_for_higher_level(&text)
    });
    let is_report = doc_type.is_some();

    let meeting = meeting::meeting(&text).filter(|_| doc_type == Some(DocType::GovernmentWorkReport));
    let meeting_when = meeting.as_ref().and_then(|m| {
        let date = m.date.as_deref()?;
        Some((
            date.get(0..4)?.parse().ok()?,
            date.get(5..7)?.parse().ok()?,
            m.line.as_str(),
        ))
    });
    let speaker = meeting::speaker(&text, meeting.as_ref()).filter(|_| doc_type == Some(DocType::GovernmentWorkReport));
    let (review, plan) = if is_report {
        years::years(title_str, &text, doc_type, meeting_when)
    } else {
        (None, None)
    };

    let publisher = meta::publisher(doc, &chrome);
    let published = meta::published_date(doc, &chrome).or_else(|| {
        let printed = title.as_ref()?.date.as_deref()?;
        Some((
            meta::normalise_date(printed)?,
            "chrome:date after the title".to_string(),
        ))
    });

    let placeholder =
        PLACEHOLDER.is_match(title_str) || PLACEHOLDER.is_match(&text.chars().take(3000).collect::<String>());
    let mut issuers: Vec<&str> = Vec::new();
    if let Some(m) = &meeting {
        issuers.push(&m.line);
    }
    if let Some(s) = &speaker {
        issuers.push(&s.line);
    }
    if let Some((p, _)) = &publisher {
        issuers.push(p);
    }
    if let Some(site) = doc.meta.get("SiteName") {
        issuers.push(site);
    }
    let division = division::resolve(&division::Inputs {
        title: title_str,
        text: &text,
        issuers,
        placeholder,
    });
    let division = match doc.job.as_ref().map(|j| j.division_code.as_str()) {
        Some(hint) if !hint.is_empty() => division::with_site_hint(division, hint),
        _ => division,
    };

    let (path, url, site_id) = match origin {
        Origin::File { path, url } => (Some(path.clone()), url.clone(), String::new()),
        Origin::Url { url, site_id } => (None, Some(url.clone()), site_id.clone()),
    };
    let url_for_kind = url.clone().or_else(|| (!doc.url.is_empty()).then(|| doc.url.clone()));
    let source = Source {
        path,
        url,
        publisher: publisher.as_ref().map(|(p, _)| p.clone()),
        published_date: published.as_ref().map(|(d, _)| d.clone()),
        source_kind: meta::source_kind(
            doc,
            &chrome,
            url_for_kind.as_deref(),
            publisher.as_ref().map(|(p, _)| p.as_str()),
        )
        .into(),
        charset: doc.charset.clone(),
        site_id,
        fetched_at_ms: doc.fetched_at_ms,
        found_on: doc
            .job
            .as_ref()
            .and_then(|j| j.found_on.as_ref())
            .map(|page| page.url.clone()),
    };
    if let Some((p, o)) = &publisher {
        ev.meta("source.publisher", p, o);
    }
    if let Some((d, o)) = &published {
        ev.meta("source.published_date", d, o);
    }
    if let Some(t) = doc_type {
        ev.meta("doc_type", t.as_str(), "classification of the title and opening");
    }
    for (field, year) in [("review_year", &review), ("plan_year", &plan)] {
        if let Some((_, quote)) = year {
            if text.contains(quote.as_str()) {
                ev.text(field, quote)
            } else {
                ev.meta(field, quote, "derived")
            }
        }
    }
    let meeting_record = meeting.as_ref().map(|m| {
        ev.text("meeting", &m.line);
        if let Some(line) = &m.date_line {
            ev.text("meeting.date", line);
        }
        let span = char_span(&text, &m.line).map(|(start, end)| Span { start, end });
        Meeting {
            date: m.date.clone(),
            term: m.term,
            session: m.session,
            body: m.body.clone(),
            span,
        }
    });
    let speaker_record = speaker.as_ref().map(|s| {
        ev.text("speaker", &s.line);
        Speaker {
            name: s.name.clone(),
            title: Some(s.title.clone()),
            span: char_span(&text, &s.line).map(|(start, end)| Span { start, end }),
        }
    });
    if division.township.is_some() || division.province.is_some() {
        ev.meta("division", &division.evidence.join("; "), "gazetteer");
    }

    let headings = outline::headings(&text);
    let plan_ranges = outline::plan_ranges(&text, &headings);
    let sections: Vec<Section> = headings
        .iter()
        .map(|h| Section {
            level: h.level,
            number: h.number.clone(),
            heading: h.heading.clone(),
            kind: h.kind.as_str().into(),
            span: Some(Span {
                start: h.start as u32,
                end: h.end as u32,
            }),
        })
        .collect();
    let metrics: Vec<Metric> = if is_report {
        metrics::find(
            &text,
            &plan_ranges,
            review.as_ref().map(|r| r.0),
            plan.as_ref().map(|p| p.0),
        )
        .into_iter()
        .map(|m| Metric {
            name: m.name,
            value: m.value,
            unit: m.unit,
            value_normalized: m.value_normalized,
            unit_normalized: m.unit_normalized,
            qualifier: m.qualifier,
            growth_pct: m.growth_pct,
            kind: if m.target { "target" } else { "actual" }.into(),
            year: m.year,
            span: Some(Span {
                start: m.start as u32,
                end: m.end as u32,
            }),
            sentence: m.sentence,
        })
        .collect()
    } else {
        Vec::new()
    };
    let entities = entities::find(&text);

    let content_sha256 = townreports_proto::content_sha256(&text);
    let id = report_id(
        &division.code,
        doc_type,
        review.as_ref().map(|r| r.0),
        plan.as_ref().map(|p| p.0),
        &content_sha256,
    );
    ReportRecord {
        id,
        source: Some(source),
        sources: Vec::new(),
        is_report: Some(is_report),
        doc_type: doc_type.map(|t| t.as_str().to_string()),
        title: title.map(|t| t.title),
        division: Some(division),
        review_year: review.map(|r| r.0),
        plan_year: plan.map(|p| p.0),
        meeting: meeting_record,
        speaker: speaker_record,
        truncated: !chrome.truncation_signals.is_empty(),
        placeholder_names: placeholder,
        sections,
        metrics,
        projects: entities.projects,
        organizations: entities.organizations,
        villages: entities.villages,
        evidence: ev.items,
        text,
        content_sha256,
        extractor_version: EXTRACTOR_VERSION.into(),
    }
}

/// The same report found twice gets one id: from the township, the kind and
/// the years when all are known, else from the content.
fn report_id(
    code: &Option<String>,
    doc_type: Option<DocType>,
    review: Option<i32>,
    plan: Option<i32>,
    sha: &str,
) -> String {
    match (code, doc_type, review.or(plan)) {
        (Some(code), Some(t), Some(_)) => {
            let years = [review, plan]
                .iter()
                .map(|y| y.map_or("_".to_string(), |y| y.to_string()))
                .collect::<Vec<_>>()
                .join("-");
            format!("{code}-{}-{years}", t.as_str())
        }
        _ => format!("doc-{}", &sha[..16]),
    }
}

/// A document from a plain-text or HTML file, as the pipeline would see it
/// had it fetched the file from `url`.
pub fn document_from_bytes(bytes: &[u8], name: &str, url: Option<&url::Url>) -> ParsedDocument {
    let file_url = || {
        url::Url::parse(&format!("file:///{}", name.trim_start_matches('/')))
            .unwrap_or_else(|_| url::Url::parse("file:///input").expect("static URL"))
    };
    let base = url.cloned().unwrap_or_else(file_url);
    let published_at = url.map(url::Url::as_str).unwrap_or_default();
    townreports_parser::parse_page(&base, bytes, None).into_document(Default::default(), published_at, 0)
}

/// Extracts one file. `url` is where it was published; without it, the
/// address a saved page records of itself is used when there is one.
pub fn extract_file(path: &std::path::Path, url: Option<&url::Url>) -> anyhow::Result<ReportRecord> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let url = url.cloned().or_else(|| townreports_parser::meta::saved_url(&bytes));
    let name = path.display().to_string();
    let doc = document_from_bytes(&bytes, &name, url.as_ref());
    Ok(extract(
        &doc,
        &Origin::File {
            path: name,
            url: url.map(String::from),
        },
    ))
}

/// Extracts every file, in order; a file that cannot be read is an error.
pub fn extract_files(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<ReportRecord>> {
    paths.iter().map(|p| extract_file(p, None)).collect()
}
