//! A guard in front of the HTML parser against html5ever's quadratic paths,
//! found by a linear scan of the tags:
//!
//! - Depth: the tree builder is quadratic in nesting depth (100,000 nested
//!   `<div>`s take a minute). No real article nests a thousand deep, so
//!   such pages are read as text with the markup removed.
//! - Attributes: the tokenizer checks each attribute against the tag's
//!   earlier ones, quadratic in their number (100,000 take seconds, a 50 MB
//!   tag hours). No real tag has a thousand, so such tags lose theirs.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// Deeper than this, a page is not parsed as a tree.
pub const MAX_NESTING: usize = 1_000;
/// A tag with more whitespace-separated tokens than this loses its
/// attributes (a long `title=` in English has dozens; a data URI has one).
pub const MAX_ATTRIBUTE_TOKENS: usize = 1_000;

/// Elements that never nest in the scan: void elements, and those whose end
/// tag may be omitted (an unclosed `<p>` closes at the next one, so old
/// Word-exported pages full of them are not deep).
const FLAT: &[&str] = &[
    "br", "img", "meta", "link", "input", "hr", "area", "base", "col", "embed", "source", "wbr", "param", "track", "p",
    "li", "dt", "dd", "tr", "td", "th", "option", "tbody", "thead", "tfoot", "colgroup",
];

static NOT_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->").expect("static regex")
});

/// What the scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Open tags nest deeper than the limit.
    pub too_deep: bool,
    /// Attribute runs of tags with too many attributes.
    pub bombs: Vec<Range<usize>>,
}

/// Scans the tags of `html` once: closing tags pop, void, optional-end and
/// self-closed tags do not push; every opening tag's attributes are counted.
pub fn scan(html: &str, depth_limit: usize) -> Scan {
    let bytes = html.as_bytes();
    let mut found = Scan::default();
    let mut depth = 0usize;
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
        let name_end = name_start + name_len;
        let end = bytes[name_end..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(bytes.len(), |p| name_end + p);
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let attributes = &bytes[name_end..end];
            if tokens(attributes) > MAX_ATTRIBUTE_TOKENS {
                found.bombs.push(name_end..end);
            }
            let self_closed = attributes.last() == Some(&b'/');
            let name = html[name_start..name_end].to_ascii_lowercase();
            if !self_closed && !FLAT.contains(&name.as_str()) {
                depth += 1;
                found.too_deep |= depth > depth_limit;
            }
        }
        i = end;
    }
    found
}

/// Whitespace-separated tokens in a tag's attribute text.
fn tokens(attributes: &[u8]) -> usize {
    attributes
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .count()
}

/// `html` without the attribute runs in `bombs` (sorted, disjoint).
pub fn defuse<'a>(html: &'a str, bombs: &[Range<usize>]) -> Cow<'a, str> {
    if bombs.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut from = 0;
    for bomb in bombs {
        out.push_str(&html[from..bomb.start]);
        from = bomb.end;
    }
    out.push_str(&html[from..]);
    Cow::Owned(out)
}

/// The text of markup that is not parsed as a tree: scripts, styles and
/// comments dropped, every tag a line break, the common entities decoded.
pub fn strip_tags(html: &str) -> String {
    let html = NOT_TEXT.replace_all(html, "\n");
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push('\n');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    for (entity, c) in [
        ("&nbsp;", " "),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&amp;", "&"),
    ] {
        if out.contains(entity) {
            out = out.replace(entity, c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(html: &str, limit: usize) -> bool {
        scan(html, limit).too_deep
    }

    #[test]
    fn depth_is_measured_linearly() {
        assert!(!deep("<div><p>a<br>b</p><img src=x/></div>", 2));
        assert!(!deep(&"<p>unclosed paragraph".repeat(5_000), 2));
        assert!(!deep("<div/><div/><div/>", 2));
        assert!(deep("<div><div><div>x", 2));
        assert!(!deep("< <> </> <\u{4e2d}>", 0));
        let nested = format!("{}正文{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        assert!(deep(&nested, MAX_NESTING));
    }

    #[test]
    fn attribute_bombs_are_cut_and_nothing_else() {
        let many: String = (0..5_000).map(|i| format!(" a{i}=1")).collect();
        let html = format!(
            "<p class=x>甲</p><div{many}>乙</div><img src=\"data:image/png;base64,{}\">",
            "A".repeat(100_000)
        );
        let found = scan(&html, MAX_NESTING);
        assert_eq!(found.bombs.len(), 1);
        let defused = defuse(&html, &found.bombs);
        assert!(
            defused.starts_with("<p class=x>甲</p><div>乙</div><img src="),
            "{}",
            &defused[..40]
        );
        assert!(matches!(defuse("<p>x</p>", &[]), Cow::Borrowed(_)));
    }

    #[test]
    fn stripped_text_keeps_words_not_code() {
        let text = strip_tags("<div>第一段&nbsp;内容<script>var x='<p>不要</p>';</script><!-- 注释 --><p>第二段</div>");
        assert!(text.contains("第一段 内容") && text.contains("第二段"), "{text}");
        assert!(!text.contains("不要") && !text.contains("注释"), "{text}");
        assert_eq!(strip_tags("<unclosed 正文"), "\n");
    }
}
