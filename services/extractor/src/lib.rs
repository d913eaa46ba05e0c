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

use crate::classify::{DocType, NotReport};
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

/// A township's or village's name blanked out: XX镇, xx 镇, *街道, **“乡,
/// ooo乡, _镇, 〔...〕乡, 某镇, xx村; or a title opening on the bare level
/// word before a year.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:[xXＸ×]{1,4}|[*＊]{1,4}|[_＿]{1,4}|o{2,4}|[〇○]{2,4}|某某|〔(?:\.{3}|…{1,2})〕)\s?[“”]?(?:镇|乡|街道|村|社区)|某\s?(?:镇|乡|街道)|^(?:镇|乡|街道)(?:\d{4}|上半年|下半年)",
    )
    .expect("static regex")
});
/// A title whose township's name was cut out: it opens on the bare level
/// word (镇政府2023年工作总结, 镇“十四五”工作谋划, 乡人民政府…汇报).
static CUT_OUT_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:镇|乡|街道)(?:人民政府|政府|党委|党工委|办事处|工作|[“\x22「]|\d|二〇)").expect("static regex")
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

/// The record of a document in simplified script: each part of it from the
/// module that owns it, in the order one part needs another.
fn extract_simplified(doc: &ParsedDocument, origin: &Origin) -> ReportRecord {
    let (text, chrome) = text::clean(&doc.text);
    let mut ev = Evidence {
        text: &text,
        items: Vec::new(),
    };
    let title = title::pick(doc, &chrome, &text);
    let title_str = title.as_ref().map(|t| t.title.as_str()).unwrap_or("");
    ev.title(title.as_ref());
    let meeting = meeting::meeting(&text);
    let verdict = report_kind(doc, title.as_ref(), &text, meeting.as_ref());
    let doc_type = verdict.ok();
    let is_report = doc_type.is_some();
    // Only a congress report has a congress and a speaker.
    let gwr = doc_type == Some(DocType::GovernmentWorkReport);
    let meeting = meeting.filter(|_| gwr);
    let speaker = meeting::speaker(&text, meeting.as_ref()).filter(|_| gwr);
    let (review, plan) = doc_type.map_or((None, None), |kind| {
        years::years(title_str, &text, Some(kind), meeting_when(meeting.as_ref()))
    });
    let publisher = meta::publisher(doc, &chrome);
    let published = published_date(doc, &chrome, title.as_ref());
    let placeholder =
        PLACEHOLDER.is_match(title_str) || PLACEHOLDER.is_match(&text.chars().take(3000).collect::<String>());
    let issuers = issuer_lines(doc, meeting.as_ref(), speaker.as_ref(), publisher.as_ref());
    let division = township_of(doc, title_str, &text, issuers, placeholder);
    // A title with the name cut out, when the text names no township
    // either, is a masked report.
    let placeholder = placeholder || (CUT_OUT_TITLE.is_match(title_str) && division.township.is_none());
    let source = source_of(doc, origin, &chrome, publisher.as_ref(), published.as_ref());
    ev.source_and_kind(publisher.as_ref(), published.as_ref(), verdict);
    ev.years(&review, &plan);
    let meeting_record = meeting.as_ref().map(|m| ev.meeting(m));
    let speaker_record = speaker.as_ref().map(|s| ev.speaker(s));
    if division.township.is_some() || division.province.is_some() {
        ev.meta("division", &division.evidence.join("; "), "gazetteer");
    }
    let headings = outline::headings(&text);
    let sections = section_records(&headings);
    let metrics = if is_report {
        let plan_ranges = outline::plan_ranges_of(&text, &headings, doc_type == Some(DocType::WorkPlan));
        metric_records(&text, &plan_ranges, &review, &plan)
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

/// Which kind of report the page is, or why it is none: the classifier's
/// kind, kept only for a page that is the township's own report and
/// carries it (not a template, not a higher level's voice, not a note
/// announcing an attachment).
fn report_kind(
    doc: &ParsedDocument,
    title: Option<&title::Title>,
    text: &str,
    meeting: Option<&meeting::Meeting>,
) -> Result<DocType, NotReport> {
    let title_str = title.map(|t| t.title.as_str()).unwrap_or("");
    // Without a title, an aggregator's blurb still says what the page holds.
    let blurb = title.is_none().then(|| title::blurb_name(text)).flatten();
    let type_title = blurb.as_deref().unwrap_or(title_str);
    let kind = classify::doc_type(type_title, text)?;
    let addresses_deputies = text.contains("各位代表");
    let higher_congress = meeting.is_some_and(meeting::of_higher_level);
    // A report opening with the township congress it is delivered to is
    // the government's report to it, whatever its title calls it.
    let to_congress = meeting.is_some() && !higher_congress && addresses_deputies;
    let kind = if to_congress {
        DocType::GovernmentWorkReport
    } else {
        kind
    };
    // A page of a sentence or two with a file attached ("the full text is
    // attached") announces a report; the attachment is the report.
    if !doc.attachments.is_empty() && !townreports_parser::has_own_body(text) {
        return Err(NotReport::AttachmentOnly);
    }
    if classify::writing_template(text) || (classify::figureless(text) && !division::names_a_place(title_str, text)) {
        return Err(NotReport::WritingTemplate);
    }
    if !(classify::township_voice(type_title, text)
        || (!classify::names_a_document(type_title) && classify::no_higher_voice(text)))
    {
        return Err(NotReport::NotTownshipVoice);
    }
    let to_higher_congress = higher_congress && (kind == DocType::GovernmentWorkReport || addresses_deputies);
    if classify::speaks_for_higher_level(text) || to_higher_congress {
        return Err(NotReport::HigherLevel);
    }
    Ok(kind)
}

/// The meeting's year and month with its line, which date a congress report.
fn meeting_when(meeting: Option<&meeting::Meeting>) -> Option<(i32, u32, &str)> {
    let m = meeting?;
    let date = m.date.as_deref()?;
    Some((
        date.get(0..4)?.parse().ok()?,
        date.get(5..7)?.parse().ok()?,
        m.line.as_str(),
    ))
}

/// The publication date from the page's metadata, else the date an
/// aggregator prints after the title.
fn published_date(doc: &ParsedDocument, chrome: &text::Chrome, title: Option<&title::Title>) -> Option<meta::Sourced> {
    meta::published_date(doc, chrome).or_else(|| {
        let printed = title?.date.as_deref()?;
        Some((
            meta::normalise_date(printed)?,
            "chrome:date after the title".to_string(),
        ))
    })
}

/// Lines in which the issuing body names itself: the meeting, the speaker,
/// the publisher and the site.
fn issuer_lines<'a>(
    doc: &'a ParsedDocument,
    meeting: Option<&'a meeting::Meeting>,
    speaker: Option<&'a meeting::Speaker>,
    publisher: Option<&'a meta::Sourced>,
) -> Vec<&'a str> {
    let mut issuers: Vec<&str> = Vec::new();
    if let Some(m) = meeting {
        issuers.push(&m.line);
    }
    if let Some(s) = speaker {
        issuers.push(&s.line);
    }
    if let Some((p, _)) = publisher {
        issuers.push(p);
    }
    if let Some(site) = doc.meta.get("SiteName") {
        issuers.push(site);
    }
    issuers
}

/// The township the text states, completed by the one of the site the page
/// was crawled from when the text leaves it open.
fn township_of(
    doc: &ParsedDocument,
    title: &str,
    text: &str,
    issuers: Vec<&str>,
    placeholder: bool,
) -> townreports_proto::v1::Division {
    let division = division::resolve(&division::Inputs {
        title,
        text,
        issuers,
        placeholder,
    });
    match doc.job.as_ref().map(|j| j.division_code.as_str()) {
        Some(hint) if !hint.is_empty() => division::with_site_hint(division, hint),
        _ => division,
    }
}

/// Where the document came from: its path or address, publisher, date and
/// the kind of site.
fn source_of(
    doc: &ParsedDocument,
    origin: &Origin,
    chrome: &text::Chrome,
    publisher: Option<&meta::Sourced>,
    published: Option<&meta::Sourced>,
) -> Source {
    let (path, url, site_id) = match origin {
        Origin::File { path, url } => (Some(path.clone()), url.clone(), String::new()),
        Origin::Url { url, site_id } => (None, Some(url.clone()), site_id.clone()),
    };
    let url_for_kind = url.clone().or_else(|| (!doc.url.is_empty()).then(|| doc.url.clone()));
    let publisher = publisher.map(|(p, _)| p.as_str());
    Source {
        path,
        url,
        publisher: publisher.map(str::to_string),
        published_date: published.map(|(d, _)| d.clone()),
        source_kind: meta::source_kind(doc, chrome, url_for_kind.as_deref(), publisher).into(),
        charset: doc.charset.clone(),
        site_id,
        fetched_at_ms: doc.fetched_at_ms,
        found_on: doc
            .job
            .as_ref()
            .and_then(|j| j.found_on.as_ref())
            .map(|page| page.url.clone()),
    }
}

impl Evidence<'_> {
    /// The title: its line in the text, or the metadata it came from.
    fn title(&mut self, title: Option<&title::Title>) {
        match title {
            Some(title::Title { line: Some(line), .. }) => self.text("title", line),
            Some(t) => self.meta("title", &t.title, t.origin),
            None => {}
        }
    }

    /// The publisher and date from the page's metadata, and the kind of
    /// report from the classification.
    fn source_and_kind(
        &mut self,
        publisher: Option<&meta::Sourced>,
        published: Option<&meta::Sourced>,
        verdict: Result<DocType, NotReport>,
    ) {
        if let Some((p, o)) = publisher {
            self.meta("source.publisher", p, o);
        }
        if let Some((d, o)) = published {
            self.meta("source.published_date", d, o);
        }
        match verdict {
            Ok(t) => self.meta("doc_type", t.as_str(), "classification of the title and opening"),
            Err(why) => self.meta("is_report", &format!("not a report: {why}"), "classification"),
        }
    }

    /// The review and plan years: from the text when it prints the words
    /// they were read from, else derived (the year after the review).
    fn years(&mut self, review: &years::YearEvidence, plan: &years::YearEvidence) {
        for (field, year) in [("review_year", review), ("plan_year", plan)] {
            if let Some((_, quote)) = year {
                if self.text.contains(quote.as_str()) {
                    self.text(field, quote)
                } else {
                    self.meta(field, quote, "derived")
                }
            }
        }
    }

    /// The meeting's record, its line and date line kept as evidence.
    fn meeting(&mut self, m: &meeting::Meeting) -> Meeting {
        self.text("meeting", &m.line);
        if let Some(line) = &m.date_line {
            self.text("meeting.date", line);
        }
        let span = char_span(self.text, &m.line).map(|(start, end)| Span { start, end });
        Meeting {
            date: m.date.clone(),
            term: m.term,
            session: m.session,
            body: m.body.clone(),
            span,
        }
    }

    /// The speaker's record, their line kept as evidence.
    fn speaker(&mut self, s: &meeting::Speaker) -> Speaker {
        self.text("speaker", &s.line);
        Speaker {
            name: s.name.clone(),
            // A speaker printed by name alone has no title.
            title: (!s.title.is_empty()).then(|| s.title.clone()),
            span: char_span(self.text, &s.line).map(|(start, end)| Span { start, end }),
        }
    }
}

/// The outline's headings as record sections.
fn section_records(headings: &[outline::Heading]) -> Vec<Section> {
    headings
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
        .collect()
}

/// The indicators of a report as record metrics, targets in the plan part.
fn metric_records(
    text: &str,
    plan_ranges: &[(usize, usize)],
    review: &years::YearEvidence,
    plan: &years::YearEvidence,
) -> Vec<Metric> {
    metrics::find(
        text,
        plan_ranges,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_township_names() {
        for masked in [
            "xx 镇人民政府",
            "*街道办事处",
            "全力支持ooo乡发展",
            "_镇党委",
            "〔...〕乡",
            "XX镇",
            "**“乡党委",
            "完成xx村通组公路",
        ] {
            assert!(PLACEHOLDER.is_match(masked), "{masked}");
        }
        for real in ["城关镇人民政府", "乡镇企业", "2023年，全镇上下", "某村民小组"] {
            assert!(!PLACEHOLDER.is_match(real), "{real}");
        }
        assert!(CUT_OUT_TITLE.is_match("镇政府2023年工作总结"));
        assert!(CUT_OUT_TITLE.is_match("镇“十四五”工作谋划报告"));
        assert!(!CUT_OUT_TITLE.is_match("镇长工作报告"));
        assert!(!CUT_OUT_TITLE.is_match("乡镇2023年工作总结"));
    }

    #[test]
    fn a_report_to_the_township_congress_is_its_government_report_whatever_its_title() {
        let text = "甲镇2023年工作报告\n——在甲镇第十八届人民代表大会第三次会议上\n各位代表：\n一年来，全镇上下团结一心，完成投资3亿元，新建道路5公里。";
        let record_of = |text: &str| {
            let doc = document_from_bytes(text.as_bytes(), "a.txt", None);
            let origin = Origin::File {
                path: "a.txt".into(),
                url: None,
            };
            extract(&doc, &origin)
        };
        assert_eq!(record_of(text).doc_type.as_deref(), Some("government_work_report"));
        // A county's congress keeps it from being a township's at all.
        let record = record_of(&text.replace("在甲镇第十八届", "在乙县第十八届"));
        assert_eq!(record.is_report, Some(false));
        assert!(
            record
                .evidence
                .iter()
                .any(|e| e.field == "is_report" && e.quote.contains("county")),
            "{:?}",
            record.evidence
        );
    }
}
