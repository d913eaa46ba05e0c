//! Loads `fixtures/portals.toml` and the texts it names. Everything
//! specific to one site or one report lives there, not in code, so the
//! templates stay general.

use std::collections::HashSet;

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::model::{Document, Expect};
use crate::templates::Template;

static FIXTURES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures");
const PORTALS_FILE: &str = "portals.toml";
/// Article numbers start here when the fixtures give none.
const FIRST_ID: u32 = 1001;

/// A text under `fixtures/texts/`, for portals built in code.
pub(crate) fn text(path: &str) -> Result<&'static str, FixtureError> {
    FIXTURES
        .get_file(format!("texts/{path}"))
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| FixtureError::MissingText {
            path: path.into(),
            title: path.into(),
        })
}

/// Why the built-in fixtures cannot be used. They are compiled in, so
/// every variant means: fix `services/portals/fixtures/` and rebuild.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixtures/{PORTALS_FILE} is missing or not UTF-8; restore it and rebuild")]
    MissingPortals,
    #[error("fixtures/{PORTALS_FILE}: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("fixtures/texts/{path} (the text of {title:?}) is missing or not UTF-8; add it or fix `text`")]
    MissingText { path: String, title: String },
    #[error("portal id {0:?} is used twice or is not [a-z0-9-]; ids must be unique and URL-safe")]
    BadId(String),
    #[error("portal {0:?}: per_page must be at least 1")]
    EmptyPages(String),
    #[error("portal {portal:?}: documents {first:?} and {second:?} have the same article number {id}")]
    DuplicateArticle {
        portal: String,
        first: String,
        second: String,
        id: u32,
    },
}

/// The body encoding a portal serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Charset {
    #[serde(rename = "utf-8")]
    Utf8,
    /// Declared as `gb2312`, as such sites do, encoded as GBK.
    #[serde(rename = "gbk")]
    Gbk,
}

/// A portal's fixed description: everything but its documents.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    pub id: String,
    pub name: String,
    pub division_code: Option<String>,
    pub template: Template,
    pub charset: Charset,
    /// The list column's name, as breadcrumbs and meta tags show it.
    pub column: String,
    pub per_page: usize,
    /// 网站标识码 of a government site.
    pub site_id_code: Option<String>,
    pub icp: Option<String>,
}

/// A portal as the fixtures describe it.
pub struct PortalFixture {
    pub site: SiteSpec,
    pub documents: Vec<Document>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    portal: Vec<RawPortal>,
}

/// A `[[portal]]` table. Spelled out rather than flattening [`SiteSpec`]
/// in: serde cannot reject unknown keys through `flatten`, and a misspelt
/// key should fail loudly.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPortal {
    id: String,
    name: String,
    division_code: Option<String>,
    template: Template,
    charset: Charset,
    column: String,
    per_page: usize,
    site_id_code: Option<String>,
    icp: Option<String>,
    document: Vec<RawDocument>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    id: Option<u32>,
    title: String,
    date: String,
    publisher: Option<String>,
    source: Option<String>,
    views: Option<u32>,
    text: String,
    expect: Option<Expect>,
}

/// Every portal of the fixtures, in file order.
pub fn load() -> Result<Vec<PortalFixture>, FixtureError> {
    let toml_text = FIXTURES
        .get_file(PORTALS_FILE)
        .and_then(|f| f.contents_utf8())
        .ok_or(FixtureError::MissingPortals)?;
    let file: FixtureFile = toml::from_str(toml_text)?;
    let mut ids = HashSet::new();
    file.portal
        .into_iter()
        .map(|raw| {
            let id = raw.id.clone();
            let url_safe = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !url_safe || !ids.insert(id.clone()) {
                return Err(FixtureError::BadId(id));
            }
            if raw.per_page == 0 {
                return Err(FixtureError::EmptyPages(id));
            }
            Ok(PortalFixture {
                documents: documents(&id, raw.document)?,
                site: SiteSpec {
                    id: raw.id,
                    name: raw.name,
                    division_code: raw.division_code,
                    template: raw.template,
                    charset: raw.charset,
                    column: raw.column,
                    per_page: raw.per_page,
                    site_id_code: raw.site_id_code,
                    icp: raw.icp,
                },
            })
        })
        .collect()
}

/// The documents with their texts, numbered on from the last given number.
fn documents(portal: &str, raw: Vec<RawDocument>) -> Result<Vec<Document>, FixtureError> {
    let mut next_id = FIRST_ID;
    let mut out: Vec<Document> = Vec::with_capacity(raw.len());
    for d in raw {
        let id = d.id.unwrap_or(next_id);
        next_id = id.saturating_add(1);
        if let Some(other) = out.iter().find(|o| o.id == id) {
            return Err(FixtureError::DuplicateArticle {
                portal: portal.to_string(),
                first: other.title.clone(),
                second: d.title,
                id,
            });
        }
        let text = FIXTURES
            .get_file(format!("texts/{}", d.text))
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| FixtureError::MissingText {
                path: d.text.clone(),
                title: d.title.clone(),
            })?;
        out.push(Document {
            id,
            title: d.title,
            date: d.date,
            publisher: d.publisher,
            source: d.source,
            views: d.views,
            body: paragraphs(text),
            expect: d.expect,
        });
    }
    Ok(out)
}

/// One paragraph a line; blank lines and the indentation of scraped text
/// (spaces, U+3000, NBSP) are not paragraphs.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixtures_load() {
        let portals = load().unwrap();
        assert!(portals.len() >= 5);
        for p in &portals {
            assert!(
                p.documents.iter().any(|d| d.expect.is_some()),
                "{} has a report",
                p.site.id
            );
            assert!(
                p.documents.iter().filter(|d| d.expect.is_none()).count() >= 2,
                "{} has non-reports beside its report",
                p.site.id
            );
            assert!(p.documents.iter().all(|d| !d.body.is_empty()));
        }
    }

    #[test]
    fn paragraphs_drop_blank_lines_and_indentation() {
        assert_eq!(
            paragraphs("  一、总体情况\n\n\u{3000}\u{3000}正文。\n\u{a0}\n"),
            ["一、总体情况", "正文。"]
        );
    }
}
