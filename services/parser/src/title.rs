//! The page's own title: the `ArticleTitle` meta, else the article heading,
//! else `<title>` without the site name.
//!
//! Generic headings (`h1`, `.title`) are as often the site's logo or a
//! sidebar caption as the article's title, so they count only when the
//! `<title>` agrees with them, or when the `<title>` names only the site
//! (then the longest wins: article titles are longer than captions).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use crate::stats::Stats;
use crate::{chrome, text};

/// Headings only articles have.
const ARTICLE_HEADINGS: &str = "ucaptitle, .article-title, .article_title, #articleTitle, .detail-title";
/// Headings any part of a page may have.
const GENERIC_HEADINGS: &str = "h1, .title, [class*=title i], [id*=title i], h2, h3";

/// Headings longer than this are paragraphs styled big.
const MAX_TITLE: usize = 200;
/// Headings with more bytes of text than this are not read at all (a
/// hostile page nesting big `.title`s would otherwise cost its size for
/// every level).
const MAX_HEADING_LEN: usize = 4_096;

static ARTICLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse(ARTICLE_HEADINGS).expect("static selector"));
static GENERIC: LazyLock<Selector> = LazyLock::new(|| Selector::parse(GENERIC_HEADINGS).expect("static selector"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title").expect("static selector"));
/// Separators between the parts of a `<title>`: `文章_栏目_站点`,
/// `文章 - 站点`, `站点|文章`. Not `——`: Chinese titles use it for subtitles.
static SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"_+|\||｜|\s+[-–—－]+\s+|\s+::\s+").expect("static regex"));
/// What site names end with.
static SITE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(人民政府|政府|政府网|门户网站?|网站|政务网|信息公开|信息公开平台|政务公开|首页)(网站)?$")
        .expect("static regex")
});

/// The title of `doc`, given its meta tags and main text.
pub fn title(doc: &Html, stats: &Stats, meta: &BTreeMap<String, String>, main_text: &str) -> String {
    if let Some(t) = meta.get("ArticleTitle").map(|t| collapse(t)).filter(|t| !t.is_empty()) {
        return t;
    }
    let site_names: Vec<&str> = ["SiteName", "ColumnName"]
        .iter()
        .filter_map(|k| meta.get(*k).map(|v| v.trim()))
        .collect();
    let is_site = |t: &str| site_names.contains(&t) || (t.chars().count() <= 20 && SITE_NAME.is_match(t));
    let heading = |el: ElementRef| {
        let c = stats.get(el.id());
        if c.len > MAX_HEADING_LEN || c.chrome {
            return None;
        }
        let t = collapse(&text::flat(el));
        // A breadcrumb styled as a heading is still a breadcrumb.
        let chrome_free = chrome::clean_line(&t).is_some_and(|clean| clean == t);
        (t.chars().count() >= 4 && t.chars().count() <= MAX_TITLE && !is_site(&t) && chrome_free).then_some(t)
    };
    if let Some(t) = doc.select(&ARTICLE).find_map(heading) {
        return t;
    }
    let page_title = doc
        .select(&TITLE)
        .next()
        .map(|t| collapse(&text::flat(t)))
        .unwrap_or_default();
    let own_part = SEPARATOR
        .split(&page_title)
        .map(str::trim)
        .find(|p| !p.is_empty() && !is_site(p));
    let mut generic = doc.select(&GENERIC).filter_map(heading);
    match own_part {
        Some(own) => generic
            .find(|h| own.contains(h.as_str()) || h.contains(own))
            .unwrap_or_else(|| own.to_string()),
        // Nothing to agree with: article titles are longer than captions.
        None => generic
            .reduce(|best, h| {
                if h.chars().count() > best.chars().count() {
                    h
                } else {
                    best
                }
            })
            .or_else(|| main_text.lines().next().map(str::to_string))
            .unwrap_or_default(),
    }
}

/// Whitespace runs (ASCII, full-width, no-break) as one space, trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(html: &str) -> String {
        let doc = Html::parse_document(html);
        let meta = crate::meta::meta_tags(&doc);
        title(&doc, &crate::stats::measure(&doc), &meta, "正文第一行\n第二行")
    }

    #[test]
    fn article_title_meta_wins() {
        assert_eq!(
            of("<meta name=ArticleTitle content=' 甲镇2023年 政府工作报告 '><title>别的</title><h1>别的标题文字</h1>"),
            "甲镇2023年 政府工作报告"
        );
    }

    #[test]
    fn the_title_element_loses_its_site_name() {
        assert_eq!(
            of("<title>某某镇2023年工作总结_某某镇人民政府</title>"),
            "某某镇2023年工作总结"
        );
        assert_eq!(
            of("<title>某某县人民政府 - 关于印发某某方案的通知</title>"),
            "关于印发某某方案的通知"
        );
        assert_eq!(
            of("<title>奋进新征程——某某乡2024年政府工作报告 | 某某乡门户网站</title>"),
            "奋进新征程——某某乡2024年政府工作报告"
        );
        assert_eq!(
            of("<meta name=SiteName content=某某街道><title>2021-2025年发展规划_某某街道</title>"),
            "2021-2025年发展规划"
        );
    }

    #[test]
    fn headings_need_the_title_to_agree() {
        let logo = "<h1>某某县人民政府</h1><div class=title>通知公告</div>";
        assert_eq!(
            of(&format!(
                "{logo}<title>工作总结_某某县人民政府</title><h2>某某乡2023年工作总结</h2>"
            )),
            "某某乡2023年工作总结"
        );
        assert_eq!(
            of(&format!("{logo}<h2>某某乡2023年工作总结</h2>")),
            "某某乡2023年工作总结",
            "no <title>: the first heading that is not the site"
        );
        assert_eq!(
            of("<ucaptitle>某某镇关于2024年工作计划的报告</ucaptitle><title>x</title>"),
            "某某镇关于2024年工作计划的报告"
        );
        assert_eq!(of("<p>没有标题</p>"), "正文第一行");
        assert_eq!(
            of("<div class=dqwz-title>您当前所在位置：首页>政府信息公开</div><h2>某某乡2023年工作总结</h2>"),
            "某某乡2023年工作总结"
        );
        assert_eq!(of("<title>某某镇人民政府</title><p>没有标题</p>"), "正文第一行");
    }
}
