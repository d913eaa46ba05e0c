//! Rendering part of a DOM as text: one block per line, whitespace
//! collapsed the way a browser shows it, scripts and (on request) chrome
//! left out. Iterative over ego-tree edges, so depth cannot overflow.

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use crate::chrome;
use crate::stats::{SKIPPED, Stats};

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
    "caption",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "main",
    "nav",
    "form",
    "dl",
    "dd",
    "dt",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "center",
    "address",
    "figure",
    "figcaption",
    "hr",
    "ucapcontent",
    "ucaptitle",
];
/// Elements set apart from their neighbours on the same line.
const CELLS: &[&str] = &["td", "th"];

/// The text of `root`, one block per line, chrome and chrome lines left out.
pub fn render(root: ElementRef, stats: &Stats) -> String {
    let mut writer = Writer::new(Some(stats));
    writer.write(root.traverse(), Some(root.id()));
    writer.finish()
}

/// The text between two elements in document order (Hanweb's
/// `ContentStart`/`ContentEnd` markers), chrome left out.
pub fn render_between(doc: &Html, start: NodeId, end: NodeId, stats: &Stats) -> String {
    let edges = doc
        .root_element()
        .traverse()
        .skip_while(|e| !matches!(e, Edge::Open(n) if n.id() == start))
        .take_while(|e| !matches!(e, Edge::Open(n) if n.id() == end));
    let mut writer = Writer::new(Some(stats));
    writer.write(edges, None);
    writer.finish()
}

/// The text of a small element on one line, nothing left out but scripts:
/// anchor texts, table cells, disclosure labels.
pub fn flat(root: ElementRef) -> String {
    let mut writer = Writer::new(None);
    writer.write(root.traverse(), Some(root.id()));
    writer.end_line();
    writer.lines.join(" ")
}

struct Writer<'s> {
    /// With stats, chrome elements and chrome lines are left out.
    stats: Option<&'s Stats>,
    lines: Vec<String>,
    line: String,
    /// Whitespace owed before the next character.
    pending_space: Option<Space>,
    preformatted: usize,
}

impl<'s> Writer<'s> {
    fn new(stats: Option<&'s Stats>) -> Self {
        Writer {
            stats,
            lines: Vec::new(),
            line: String::new(),
            pending_space: None,
            preformatted: 0,
        }
    }

    fn write<'a>(&mut self, edges: impl Iterator<Item = Edge<'a, Node>>, root: Option<NodeId>) {
        let mut skipping: Option<NodeId> = None;
        for edge in edges {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Element(e) => {
                            let is_root = Some(node.id()) == root;
                            if !is_root && self.left_out(node.id(), e) {
                                skipping = Some(node.id());
                            } else if BLOCKS.contains(&e.name()) {
                                self.end_line();
                                self.preformatted += usize::from(e.name() == "pre");
                            }
                        }
                        Node::Text(t) => self.push_text(t),
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if skipping == Some(node.id()) {
                        skipping = None;
                    } else if skipping.is_none()
                        && let Node::Element(e) = node.value()
                    {
                        if BLOCKS.contains(&e.name()) {
                            self.end_line();
                            self.preformatted = self.preformatted.saturating_sub(usize::from(e.name() == "pre"));
                        } else if CELLS.contains(&e.name()) {
                            self.pending_space = Some(Space::Cell);
                        }
                    }
                }
            }
        }
    }

    fn left_out(&self, id: NodeId, e: &scraper::node::Element) -> bool {
        SKIPPED.contains(&e.name()) || chrome::is_hidden(e) || self.stats.is_some_and(|s| s.is_chrome(id))
    }

    fn push_text(&mut self, text: &str) {
        for c in text.chars() {
            if matches!(c, '\u{200b}'..='\u{200d}' | '\u{feff}') {
                continue;
            }
            if c == '\n' && self.preformatted > 0 {
                self.end_line();
            } else if c.is_whitespace() {
                let space = if matches!(c, '\n' | '\r') {
                    Space::Break
                } else {
                    Space::Plain
                };
                self.pending_space = self.pending_space.max(Some(space));
            } else {
                if let Some(space) = self.pending_space.take()
                    && let Some(last) = self.line.chars().next_back()
                    // A line break inside Chinese text is source formatting, not a space.
                    && !(space == Space::Break && wide(last) && wide(c))
                {
                    self.line.push(' ');
                }
                self.line.push(c);
            }
        }
    }

    fn end_line(&mut self) {
        self.pending_space = None;
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        let kept = match self.stats {
            Some(_) => chrome::clean_line(&line),
            None => Some(line),
        };
        self.lines.extend(kept);
    }

    fn finish(mut self) -> String {
        self.end_line();
        self.lines.join("\n")
    }
}

/// Whitespace between two characters; the stronger wins in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Space {
    /// Spaces: one space.
    Plain,
    /// Whitespace with a line break in the source: vanishes between
    /// Chinese characters.
    Break,
    /// The end of a table cell: always one space.
    Cell,
}

/// CJK characters and full-width punctuation, between which browsers
/// drop a source line break.
fn wide(c: char) -> bool {
    matches!(c, '\u{2e80}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::measure;
    use scraper::Selector;

    fn body(doc: &Html) -> ElementRef<'_> {
        doc.select(&Selector::parse("body").unwrap()).next().unwrap()
    }

    #[test]
    fn blocks_become_lines_and_chrome_is_left_out() {
        let doc = Html::parse_document(
            "<html><body><nav>首页 | 政务公开</nav><div id=x><p>第一段&nbsp;&nbsp;内容</p><p>  第二段<br>换行</p>\
             <p>【打印本页】【关闭窗口】</p><script>var a='不是正文';</script></div><footer>网站标识码</footer></body></html>",
        );
        let stats = measure(&doc);
        assert_eq!(render(body(&doc), &stats), "第一段 内容\n第二段\n换行");
    }

    #[test]
    fn source_line_breaks_inside_chinese_vanish() {
        let doc = Html::parse_document("<p>各位\n    代表：\n现在 我代表 Town\nHall</p><p>索 引 号</p>");
        assert_eq!(flat(body(&doc)), "各位代表：现在 我代表 Town Hall 索 引 号");
    }

    #[test]
    fn cells_are_apart_and_pre_keeps_its_lines() {
        let doc = Html::parse_document(
            "<table><tr><td>指标</td>\n<td>数值</td></tr><tr><td>财政收入</td><td>4720万元</td></tr></table><pre>一\n二</pre>",
        );
        let stats = measure(&doc);
        assert_eq!(render(body(&doc), &stats), "指标 数值\n财政收入 4720万元\n一\n二");
    }

    #[test]
    fn between_markers() {
        let doc = Html::parse_document(
            "<body><div>页头</div><div><meta name=ContentStart><p>正文一</p><p>正文二</p><meta name=ContentEnd><p>页脚</p></div></body>",
        );
        let stats = measure(&doc);
        let meta = Selector::parse("meta").unwrap();
        let ids: Vec<NodeId> = doc.select(&meta).map(|m| m.id()).collect();
        assert_eq!(render_between(&doc, ids[0], ids[1], &stats), "正文一\n正文二");
    }
}
