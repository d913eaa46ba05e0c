//! Text out of a DOM: block-aware, chrome-free, and iterative (a page with
//! 100,000 nested elements must not overflow the stack).

use std::collections::HashMap;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};

/// Elements whose content is never document text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "iframe", "form", "button", "select", "option", "textarea", "head", "svg", "canvas",
    "object", "embed", "template", "nav", "footer", "header", "input",
];

/// Elements that end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "article",
    "dd",
    "dt",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "center",
    "main",
    "aside",
    "hr",
    "ucapcontent",
    "ucaptitle",
];

/// Elements that may hold the main text.
const CONTAINERS: &[&str] = &[
    "div",
    "td",
    "article",
    "section",
    "main",
    "body",
    "ucapcontent",
    "center",
    "span",
    "font",
];

/// Where the article body is, in the order the notes list known CMS markup.
const KNOWN_CONTAINERS: &[&str] = &[
    "#zoom",
    "#UCAP-CONTENT",
    "ucapcontent",
    "#zoomcon",
    ".TRS_Editor",
    ".TRS_UEDITOR",
    ".Custom_UnionStyle",
    ".article-content",
    ".pages_content",
    ".news_cont_d_wrap",
    ".xxgk_content",
    ".article_con",
    "#article-content",
    "#content",
];

/// Deeper than this, a page is not parsed as a tree (see [`nesting_exceeds`]).
pub const MAX_NESTING: usize = 1_000;

/// Elements that never nest in the scan: void elements, and those whose end
/// tag may be omitted (an unclosed `<p>` closes at the next one, so old
/// Word-exported pages full of them are not deep).
const VOID: &[&str] = &[
    "br", "img", "meta", "link", "input", "hr", "area", "base", "col", "embed", "source", "wbr", "param", "track", "p",
    "li", "dt", "dd", "tr", "td", "th", "option", "tbody", "thead", "tfoot", "colgroup",
];

/// Whether open tags nest deeper than `limit`, by a linear scan of the tags
/// (closing tags pop; void and self-closed tags do not push).
pub fn nesting_exceeds(html: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|b| *b == b'<') {
        i += offset + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let name_start = if closing { i + 1 } else { i };
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let end = bytes[name_start..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(bytes.len(), |p| name_start + p);
        let self_closed = end > 0 && bytes.get(end - 1) == Some(&b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closed && !VOID.contains(&name.as_str()) {
            depth += 1;
            if depth > limit {
                return true;
            }
        }
        i = end.min(bytes.len());
    }
    false
}

/// Markup removed, one block per line: the fallback reading of a page.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push('\n');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

pub fn is_skipped(name: &str) -> bool {
    SKIPPED.contains(&name)
}

/// The text of `root`, one block per line, whitespace collapsed.
pub fn block_text(root: ElementRef) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let mut skipping: Option<NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(e) => {
                        let name = e.name();
                        if node.id() != root.id() && is_skipped(name) {
                            skipping = Some(node.id());
                        } else if BLOCKS.contains(&name) {
                            end_line(&mut out, &mut line);
                        }
                    }
                    Node::Text(t) => push_text(&mut line, t),
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                } else if skipping.is_none()
                    && let Node::Element(e) = node.value()
                    && BLOCKS.contains(&e.name())
                {
                    end_line(&mut out, &mut line);
                }
            }
        }
    }
    end_line(&mut out, &mut line);
    out.truncate(out.trim_end().len());
    out
}

fn push_text(line: &mut String, text: &str) {
    for c in text.chars() {
        let c = if c == '\u{a0}' || c == '\u{2002}' || c == '\u{2003}' || c == '\t' || c == '\r' || c == '\n' {
            ' '
        } else {
            c
        };
        if c == ' ' && (line.is_empty() || line.ends_with(' ')) {
            continue;
        }
        line.push(c);
    }
}

fn end_line(out: &mut String, line: &mut String) {
    let trimmed = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    if !trimmed.is_empty() {
        out.push_str(trimmed);
        out.push('\n');
    }
    line.clear();
}

/// Characters that count as readable text.
pub fn readable(c: char) -> bool {
    c.is_alphanumeric()
}

/// The element holding the page's main text: a known CMS container with
/// real text in it, else the container with the densest non-link text.
pub fn main_container(doc: &Html) -> Option<ElementRef<'_>> {
    for css in KNOWN_CONTAINERS {
        let Ok(selector) = Selector::parse(css) else { continue };
        if let Some(el) = doc
            .select(&selector)
            .find(|el| block_text(*el).chars().filter(|c| readable(*c)).count() >= 40)
        {
            return Some(el);
        }
    }
    densest(doc)
}

/// Readability's idea, simplified: every text node scores for its nearest
/// container (link text scores against it), each container passes half its
/// score to its parent container, and the best scorer wins.
fn densest(doc: &Html) -> Option<ElementRef<'_>> {
    let mut score: HashMap<NodeId, f64> = HashMap::new();
    let mut skipping: Option<NodeId> = None;
    let mut containers: Vec<NodeId> = Vec::new();
    let mut links = 0usize;
    for edge in doc.root_element().traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(e) if is_skipped(e.name()) => skipping = Some(node.id()),
                    Node::Element(e) if e.name() == "a" => links += 1,
                    Node::Element(e) if CONTAINERS.contains(&e.name()) => containers.push(node.id()),
                    Node::Text(t) => {
                        let n = t.chars().filter(|c| readable(*c)).count() as f64;
                        if let Some(&c) = containers.last() {
                            *score.entry(c).or_default() += if links > 0 { -n } else { n };
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                    continue;
                }
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(e) if e.name() == "a" => links = links.saturating_sub(1),
                    Node::Element(e) if CONTAINERS.contains(&e.name()) => {
                        containers.pop();
                        let own = score.get(&node.id()).copied().unwrap_or(0.0);
                        if let Some(&parent) = containers.last()
                            && own > 0.0
                        {
                            *score.entry(parent).or_default() += own / 2.0;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let best = score
        .into_iter()
        .filter(|(_, s)| *s > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))?
        .0;
    doc.tree.get(best).and_then(ElementRef::wrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_lines_and_chrome_is_dropped() {
        let html = Html::parse_document(
            "<html><body><nav>首页 | 政务公开</nav><div id=x><p>第一段&nbsp;内容</p><p>  第二段<br>换行</p>\
             <script>var a='不是正文';</script></div><footer>网站标识码</footer></body></html>",
        );
        let body = html.select(&Selector::parse("body").unwrap()).next().unwrap();
        assert_eq!(block_text(body), "第一段 内容\n第二段\n换行");
    }

    #[test]
    fn the_densest_container_wins_over_link_lists() {
        let links: String = (0..30)
            .map(|i| format!("<li><a href='/{i}'>导航链接第{i}项内容</a></li>"))
            .collect();
        let body = "各位代表，现在我代表镇人民政府向大会报告工作，请予审议。".repeat(8);
        let html = Html::parse_document(&format!(
            "<html><body><div class=side><ul>{links}</ul></div><div class=main><div class=text><p>{body}</p><p>{body}</p></div></div></body></html>"
        ));
        let main = main_container(&html).unwrap();
        assert_eq!(main.value().attr("class"), Some("text"));
    }

    #[test]
    fn nesting_depth_is_measured_linearly() {
        assert!(!nesting_exceeds("<div><p>a<br>b</p><img src=x/></div>", 2));
        assert!(!nesting_exceeds(&"<p>unclosed paragraph".repeat(5_000), 2));
        assert!(nesting_exceeds("<div><div><div>x", 2));
        let deep = format!("{}正文{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        assert!(nesting_exceeds(&deep, MAX_NESTING));
        assert!(strip_tags(&deep).contains("正文"));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // html5ever's tree builder is quadratic in depth; the 100,000-deep
        // hostile case belongs to the fault suite.
        let depth = 5_000;
        let html = format!("{}正文{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let doc = Html::parse_document(&html);
        let _ = main_container(&doc);
        let body = doc.select(&Selector::parse("body").unwrap()).next().unwrap();
        assert!(block_text(body).contains("正文"));
    }
}
