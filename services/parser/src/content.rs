//! Where the article is: the CMS markers and containers the notes list
//! (government-sites.md §5 and the checklist), in that order, then the
//! densest container for templates nobody has seen.

use std::sync::LazyLock;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};

use crate::stats::{self, Stats};
use crate::text;

/// Known article containers, most specific first.
const KNOWN_CONTAINERS: &[&str] = &[
    "#zoom",
    "#UCAP-CONTENT",
    "ucapcontent",
    "#zoomcon",
    ".TRS_Editor",
    "[id^=TRS_AUTOADD_]",
    ".Custom_UnionStyle",
    ".TRS_UEDITOR",
    ".article-content",
    ".pages_content",
    ".news_cont_d_wrap",
];

/// A known container with less than this many letters is an empty shell
/// (filled by JavaScript): the search goes on. Low, because attachment-only
/// articles have bodies like 「现将《…》印发给你们」.
const MIN_KNOWN: usize = 10;

static SELECTORS: LazyLock<Vec<Selector>> = LazyLock::new(|| {
    KNOWN_CONTAINERS
        .iter()
        .map(|css| Selector::parse(css).expect("static selector"))
        .collect()
});
static META: LazyLock<Selector> = LazyLock::new(|| Selector::parse("meta[name]").expect("static selector"));

/// How the main text was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Between `ContentStart`/`ContentEnd` markers.
    Markers,
    /// In a container a CMS is known to use.
    Known,
    /// In the container with the densest prose.
    Density,
    /// Nowhere: the page has no prose.
    Nothing,
}

/// The main text of a page.
#[derive(Debug, Clone)]
pub struct MainText {
    pub text: String,
    /// The container, when there is one (not for markers).
    pub root: Option<NodeId>,
    pub found: Found,
}

/// Finds and renders the main text of `doc`.
pub fn main_text(doc: &Html, stats: &Stats) -> MainText {
    if let Some((start, end)) = markers(doc) {
        let text = text::render_between(doc, start, end, stats);
        if text.chars().filter(|c| stats::readable(*c)).count() >= MIN_KNOWN {
            return MainText {
                text,
                root: None,
                found: Found::Markers,
            };
        }
    }
    let known = SELECTORS
        .iter()
        .find_map(|selector| doc.select(selector).find(|el| stats.get(el.id()).readable >= MIN_KNOWN));
    let (root, found) = match known {
        Some(el) => (Some(el), Found::Known),
        None => match stats.densest(doc) {
            Some(el) => (Some(el), Found::Density),
            None => (None, Found::Nothing),
        },
    };
    MainText {
        text: root.map(|el| text::render(el, stats)).unwrap_or_default(),
        root: root.map(|el: ElementRef| el.id()),
        found,
    }
}

/// Hanweb's `<meta name="ContentStart">` … `<meta name="ContentEnd">`, or
/// the `<!--…content.begin-->` … `<!--…content.end-->` comments next to them.
fn markers(doc: &Html) -> Option<(NodeId, NodeId)> {
    let metas: Vec<(NodeId, &str)> = doc
        .select(&META)
        .filter_map(|m| Some((m.id(), m.value().attr("name")?)))
        .collect();
    let meta = |name: &str, after: Option<NodeId>| {
        metas
            .iter()
            .skip_while(|(id, _)| after.is_some_and(|a| *id != a))
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| *id)
    };
    if let Some(start) = meta("ContentStart", None)
        && let Some(end) = meta("ContentEnd", Some(start))
    {
        return Some((start, end));
    }
    let mut start = None;
    for node in doc.tree.root().descendants() {
        if let Node::Comment(c) = node.value() {
            let c = c.trim().to_ascii_lowercase();
            if c.ends_with("content.begin") || c.ends_with("content.start") {
                start = start.or(Some(node.id()));
            } else if c.ends_with("content.end")
                && let Some(start) = start
            {
                return Some((start, node.id()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::measure;

    fn main(html: &str) -> MainText {
        let doc = Html::parse_document(html);
        let stats = measure(&doc);
        main_text(&doc, &stats)
    }

    #[test]
    fn hanweb_markers_come_first() {
        let m = main(
            "<body><div id=zoom>别处的容器里也有一些文字内容</div><!--ZJEG_RSS.content.begin--><meta name=\"ContentStart\">\
             <p>各位代表：现在我代表镇人民政府报告工作。</p><meta name=\"ContentEnd\"><!--ZJEG_RSS.content.end--></body>",
        );
        assert_eq!(
            (m.found, m.text.as_str()),
            (Found::Markers, "各位代表：现在我代表镇人民政府报告工作。")
        );
        let m = main(
            "<body><!--ZJEG_RSS.content.begin--><p>只有注释标记的正文，也能找到。</p><!--ZJEG_RSS.content.end--><p>页脚</p></body>",
        );
        assert_eq!(
            (m.found, m.text.as_str()),
            (Found::Markers, "只有注释标记的正文，也能找到。")
        );
    }

    #[test]
    fn known_containers_in_order_and_empty_shells_skipped() {
        let m = main(
            "<body><div class=TRS_Editor><p>第二个候选容器里的正文内容</p></div><div id=UCAP-CONTENT> </div>\
             <div class=pages_content><p>第三个候选容器里的正文内容</p></div></body>",
        );
        assert_eq!((m.found, m.text.as_str()), (Found::Known, "第二个候选容器里的正文内容"));
    }

    #[test]
    fn an_unseen_template_falls_back_to_density() {
        let rows: String = (0..20)
            .map(|i| {
                format!(
                    "<li><a href='/n/{i}.html'>相关新闻标题第{i}条</a><span>2024-01-0{}</span></li>",
                    i % 9 + 1
                )
            })
            .collect();
        let prose = "今年以来，全镇上下坚持稳中求进工作总基调，经济社会发展取得新成效。".repeat(4);
        let m = main(&format!(
            "<body><div class=hd><a href=/>首页</a><a href=/a>机构概况</a></div>\
             <div class=wrapper><div class=lft><ul>{rows}</ul></div>\
             <div class=rgt><h2 class=bt>某某镇2024年政府工作报告</h2><div class=sj>发布时间：2024-02-01 浏览次数：37</div>\
             <div class=zw><p>{prose}</p><p>{prose}</p><p>一、2023年工作回顾</p><p>{prose}</p></div>\
             <div class=fx>分享到：</div></div></div>\
             <div class=db>版权所有：某某镇人民政府 地址：某某县某某路1号</div></body>"
        ));
        assert_eq!(m.found, Found::Density);
        assert!(m.text.starts_with("今年以来"), "{}", m.text);
        assert!(m.text.contains("\n一、2023年工作回顾\n"), "{}", m.text);
        assert!(
            !m.text.contains("相关新闻") && !m.text.contains("版权所有"),
            "{}",
            m.text
        );
    }

    #[test]
    fn a_page_without_prose_has_no_main_text() {
        let m = main("<body><a href=/a>一</a><a href=/b>二</a></body>");
        assert_eq!((m.found, m.text.as_str()), (Found::Nothing, ""));
    }
}
