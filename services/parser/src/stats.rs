//! One iterative pass that measures every element of a page: how much text
//! it holds, how much of that is link text, whether it is chrome, and a
//! text-density score for finding the article on templates nobody has
//! seen before.
//!
//! Everything downstream reads these numbers instead of re-walking
//! subtrees, which keeps the parser linear: asking "how long is this
//! element's text?" of every element of a deeply nested page would be
//! quadratic. The walk uses ego-tree's edge iterator, not recursion, so
//! depth cannot overflow the stack.

use std::collections::HashMap;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use crate::chrome;

/// Elements whose content is never text of the page.
pub const SKIPPED: &[&str] = &[
    "script",
    "style",
    "noscript",
    "iframe",
    "button",
    "select",
    "option",
    "textarea",
    "head",
    "title",
    "svg",
    "canvas",
    "object",
    "embed",
    "template",
    "input",
    "datastore",
];

/// Elements that may hold the main text (text scores for the nearest one).
const CONTAINERS: &[&str] = &[
    "div",
    "td",
    "article",
    "section",
    "main",
    "body",
    "ucapcontent",
    "center",
    "blockquote",
    "form",
];

/// What one element holds; text in skipped and hidden elements not counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Bytes of text, whitespace included: what rendering it costs.
    pub len: usize,
    /// Non-whitespace characters of text.
    pub chars: usize,
    /// Letters and digits among them.
    pub readable: usize,
    /// Readable characters inside links.
    pub link_readable: usize,
    /// Text-density score (containers only, see [`measure`]).
    pub score: f64,
    /// Site chrome (see [`chrome::is_chrome`]).
    pub chrome: bool,
}

/// The measurements of a page.
#[derive(Debug, Default)]
pub struct Stats {
    counts: HashMap<NodeId, Counts>,
    /// Containers with a positive score outside chrome, best first.
    ranked: Vec<(NodeId, f64)>,
}

impl Stats {
    /// The counts of an element; zero for skipped and hidden ones.
    pub fn get(&self, id: NodeId) -> Counts {
        self.counts.get(&id).copied().unwrap_or_default()
    }

    pub fn is_chrome(&self, id: NodeId) -> bool {
        self.get(id).chrome
    }

    /// The container with the densest prose that is not inside chrome.
    pub fn densest<'a>(&self, doc: &'a Html) -> Option<ElementRef<'a>> {
        let (id, _) = self.ranked.first()?;
        doc.tree.get(*id).and_then(ElementRef::wrap)
    }
}

/// Whether a text character is a letter or digit (Han characters included).
/// Every character of every page comes through here: the common Han block
/// is answered before the standard library's table search.
pub fn readable(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}') || c.is_alphanumeric()
}

/// Sentence punctuation: prose has it, navigation does not.
fn sentence_mark(c: char) -> bool {
    matches!(c, '，' | '。' | '；' | '、' | ',' | ';')
}

struct Open {
    id: NodeId,
    counts: Counts,
    container: bool,
    link: bool,
    /// How many containers were ranked when this element opened: those
    /// ranked since are its descendants.
    ranked_before: usize,
}

/// Measures every element of `doc`.
///
/// The density score is Readability's idea, simplified: the letters of a
/// text node (plus a bonus per sentence mark) score for the nearest
/// container, link text scores against it, and on closing a container that
/// is not chrome passes half its positive score to its own nearest
/// container. An article's `div` then beats both its single paragraphs and
/// the page wrapper around it. Containers inside chrome are never ranked.
pub fn measure(doc: &Html) -> Stats {
    let mut walk = Walk::default();
    let mut skipping: Option<NodeId> = None;
    for edge in doc.root_element().traverse() {
        match edge {
            Edge::Open(_) if skipping.is_some() => {}
            Edge::Open(node) => match node.value() {
                Node::Element(e) if SKIPPED.contains(&e.name()) || chrome::is_hidden(e) => skipping = Some(node.id()),
                Node::Element(e) => walk.open(node.id(), e),
                Node::Text(t) => walk.text(t),
                _ => {}
            },
            Edge::Close(node) if skipping == Some(node.id()) => skipping = None,
            Edge::Close(_) if skipping.is_some() => {}
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    walk.close(e);
                }
            }
        }
    }
    walk.ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    Stats {
        counts: walk.counts,
        ranked: walk.ranked,
    }
}

/// The one walk of [`measure`]: the elements open above the current node,
/// which of them are containers, how many links enclose it.
#[derive(Default)]
struct Walk {
    counts: HashMap<NodeId, Counts>,
    ranked: Vec<(NodeId, f64)>,
    stack: Vec<Open>,
    /// Indices into `stack` of the open containers.
    containers: Vec<usize>,
    links: usize,
}

impl Walk {
    fn open(&mut self, id: NodeId, e: &scraper::node::Element) {
        let link = e.name() == "a" && e.attr("href").is_some();
        self.links += usize::from(link);
        let container = CONTAINERS.contains(&e.name()) || chrome::hinted(e);
        if container {
            self.containers.push(self.stack.len());
        }
        self.stack.push(Open {
            id,
            counts: Counts::default(),
            container,
            link,
            ranked_before: self.ranked.len(),
        });
    }

    fn text(&mut self, t: &str) {
        let (mut chars, mut letters, mut marks) = (0usize, 0usize, 0usize);
        for c in t.chars().filter(|c| !c.is_whitespace()) {
            chars += 1;
            letters += usize::from(readable(c));
            marks += usize::from(sentence_mark(c));
        }
        let in_link = self.links > 0;
        if let Some(top) = self.stack.last_mut() {
            top.counts.len += t.len();
            top.counts.chars += chars;
            top.counts.readable += letters;
            if in_link {
                top.counts.link_readable += letters;
            }
        }
        if let Some(open) = self.containers.last().and_then(|&i| self.stack.get_mut(i)) {
            open.counts.score += if in_link {
                -(letters as f64)
            } else {
                (letters + 3 * marks) as f64
            };
        }
    }

    fn close(&mut self, e: &scraper::node::Element) {
        let Some(mut open) = self.stack.pop() else { return };
        self.links = self.links.saturating_sub(usize::from(open.link));
        if open.container {
            self.containers.pop();
        }
        let c = &mut open.counts;
        c.chrome = chrome::is_chrome(e, c.readable, c.link_readable);
        if c.chrome {
            // Nothing inside chrome is the article.
            self.ranked.truncate(open.ranked_before);
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.counts.len += c.len;
            parent.counts.chars += c.chars;
            parent.counts.readable += c.readable;
            parent.counts.link_readable += c.link_readable;
        }
        if open.container && !c.chrome && c.score > 0.0 {
            self.ranked.push((open.id, c.score));
            if let Some(parent) = self.containers.last().and_then(|&i| self.stack.get_mut(i)) {
                parent.counts.score += c.score / 2.0;
            }
        }
        self.counts.insert(open.id, open.counts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Selector;

    fn first<'a>(doc: &'a Html, css: &str) -> ElementRef<'a> {
        doc.select(&Selector::parse(css).unwrap()).next().unwrap()
    }

    #[test]
    fn counts_cover_subtrees_without_scripts_or_hidden_parts() {
        let doc = Html::parse_document(
            "<div id=a>正文 <a href='/x'>链接</a><script>var 不算 = 1;</script><span style='display:none'>隐藏</span></div>",
        );
        let c = stats_of(&doc, "#a");
        assert_eq!((c.chars, c.readable, c.link_readable), (4, 4, 2));
    }

    fn stats_of(doc: &Html, css: &str) -> Counts {
        measure(doc).get(first(doc, css).id())
    }

    #[test]
    fn the_densest_container_wins_over_link_lists_and_footers() {
        let links: String = (0..30)
            .map(|i| format!("<li><a href='/{i}'>导航链接第{i}项内容</a></li>"))
            .collect();
        let body = "各位代表，现在我代表镇人民政府向大会报告工作，请予审议。".repeat(8);
        let doc = Html::parse_document(&format!(
            "<html><body><div class=side><ul>{links}</ul></div><div class=main><h1>标题</h1>\
             <div class=text><p>{body}</p><p>{body}</p></div></div>\
             <div class=footer><p>主办：某某镇人民政府 地址：某某路1号 联系电话：0000-1234567 网站标识码：1234567890</p></div></body></html>"
        ));
        let stats = measure(&doc);
        let main = stats.densest(&doc).unwrap();
        assert_eq!(main.value().attr("class"), Some("text"));
        assert!(stats.is_chrome(first(&doc, ".footer").id()));
    }

    #[test]
    fn nothing_inside_chrome_is_the_article() {
        let doc = Html::parse_document(
            "<body><div class=nav><div>一段很长的没有链接的导航说明文字，但它在导航里面。</div></div><div>短正文。</div></body>",
        );
        let stats = measure(&doc);
        let main = stats.densest(&doc).unwrap();
        assert!(main.text().collect::<String>().contains("短正文"));
    }

    #[test]
    fn deep_pages_do_not_overflow() {
        let depth = 5_000;
        let html = format!("{}正文{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let doc = Html::parse_document(&html);
        let stats = measure(&doc);
        assert!(stats.densest(&doc).is_some());
    }
}
