//! A guard in front of the HTML parser. html5ever's tree builder is
//! quadratic in nesting depth (100,000 nested `<div>`s take a minute), and
//! no real article nests a thousand deep, so such pages are measured with a
//! linear scan first and read as text with the markup removed.

use std::sync::LazyLock;

use regex::Regex;

/// Deeper than this, a page is not parsed as a tree.
pub const MAX_NESTING: usize = 1_000;

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

/// Whether open tags nest deeper than `limit`, by a linear scan of the tags
/// (closing tags pop; void, optional-end and self-closed tags do not push).
pub fn nesting_exceeds(html: &str, limit: usize) -> bool {
    let bytes = html.as_bytes();
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
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let end = bytes[name_start..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(bytes.len(), |p| name_start + p);
        let self_closed = bytes.get(end.wrapping_sub(1)) == Some(&b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closed && !FLAT.contains(&name.as_str()) {
            depth += 1;
            if depth > limit {
                return true;
            }
        }
        i = end;
    }
    false
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

    #[test]
    fn depth_is_measured_linearly() {
        assert!(!nesting_exceeds("<div><p>a<br>b</p><img src=x/></div>", 2));
        assert!(!nesting_exceeds(&"<p>unclosed paragraph".repeat(5_000), 2));
        assert!(!nesting_exceeds("<div/><div/><div/>", 2));
        assert!(nesting_exceeds("<div><div><div>x", 2));
        assert!(!nesting_exceeds("< <> </> <\u{4e2d}>", 0));
        let deep = format!("{}正文{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        assert!(nesting_exceeds(&deep, MAX_NESTING));
    }

    #[test]
    fn stripped_text_keeps_words_not_code() {
        let text = strip_tags("<div>第一段&nbsp;内容<script>var x='<p>不要</p>';</script><!-- 注释 --><p>第二段</div>");
        assert!(text.contains("第一段 内容") && text.contains("第二段"), "{text}");
        assert!(!text.contains("不要") && !text.contains("注释"), "{text}");
        assert_eq!(strip_tags("<unclosed 正文"), "\n");
    }
}
