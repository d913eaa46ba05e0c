//! A deliberately plain crawler for the tests: it follows every link a
//! page has (anchors, CDATA and script strings, the TRS and Handan pager
//! scripts) without knowing any template, so a portal that only works for
//! one crawler's heuristics fails here.

#![allow(dead_code)] // each test binary uses part of it

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Node};
use url::Url;

pub struct Fetched {
    pub status: u16,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// Decoded with the charset the response declares.
    pub html: String,
}

pub async fn get(client: &reqwest::Client, url: &str) -> Fetched {
    let response = client.get(url).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = response.bytes().await.unwrap().to_vec();
    let html = if content_type.contains("gb2312") || content_type.contains("gbk") {
        encoding_rs::GBK.decode(&bytes).0.into_owned()
    } else {
        String::from_utf8(bytes.clone()).unwrap_or_else(|_| panic!("{url} declares UTF-8 and is not"))
    };
    Fetched {
        status,
        content_type,
        bytes,
        html,
    }
}

/// Anchors, in markup and inside script strings or CDATA alike
/// (stylesheets and images are not pages).
static HREF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap());
static CREATE_PAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"createPageHTML\((\d+),\s*\d+,\s*"(\w+)",\s*"(\w+)"\)"#).unwrap());
static COUNT_PAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"var countPage\s*=\s*(\d+)").unwrap());

/// Every URL a page links to, in markup or in scripts.
pub fn links(html: &str, page: &Url) -> Vec<Url> {
    let mut out = Vec::new();
    for caps in HREF.captures_iter(html) {
        let href = caps.get(1).or(caps.get(2)).map(|m| m.as_str()).unwrap_or("");
        let href = href.replace("&amp;", "&");
        if href.is_empty() || href.starts_with('#') || href.starts_with("javascript:") || href.starts_with("mailto:") {
            continue;
        }
        if let Ok(mut url) = page.join(&href) {
            url.set_fragment(None);
            out.push(url);
        }
    }
    for caps in CREATE_PAGE.captures_iter(html) {
        let count: usize = caps[1].parse().unwrap();
        for k in 1..count {
            out.push(page.join(&format!("{}_{k}.{}", &caps[2], &caps[3])).unwrap());
        }
    }
    for caps in COUNT_PAGE.captures_iter(html) {
        let count: usize = caps[1].parse().unwrap();
        for k in 1..count {
            out.push(page.join(&format!("index_{k}.html")).unwrap());
        }
    }
    out
}

/// The text a reader sees: body text without scripts and styles.
pub fn visible_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    for node in doc.tree.root().descendants() {
        if let Node::Text(t) = node.value() {
            let hidden = node.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "script" | "style" | "head" | "title"))
            });
            if !hidden {
                out.push_str(t);
                out.push('\n');
            }
        }
    }
    out
}

/// Without any whitespace, for comparing text across markup.
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Robots.txt's Disallow prefixes.
pub fn disallowed(robots: &str) -> Vec<String> {
    robots
        .lines()
        .filter_map(|l| l.strip_prefix("Disallow:"))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}
