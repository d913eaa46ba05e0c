//! The record's text: the document body without page chrome, and the
//! metadata that chrome carried (publisher, dates, site signals).

use std::sync::LazyLock;

use regex::Regex;

/// What the chrome lines said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chrome {
    /// `(label, value)` pairs from lines such as `发布机构: X 发文日期: Y`.
    pub pairs: Vec<(String, String)>,
    /// A bare date line under the title (aggregators print `2022-03-11 249`).
    pub bare_date: Option<String>,
    /// A `政府信息公开` banner line.
    pub disclosure_banner: bool,
    /// Signals of a document-sharing site (reward, share, login walls).
    pub aggregator_signals: Vec<String>,
    /// Signals that part of the text is hidden or cut.
    pub truncation_signals: Vec<String>,
}

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(发布机构|发文机关|发布单位|发文日期|发布日期|发布时间|更新时间|成文日期|来源|信息来源|作者|编辑|责任编辑|浏览次数|访问次数|点击数|阅读次数|字体)\s*[:：]").expect("static regex")
});
static BARE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4}-\d{1,2}-\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s+\d+)?$").expect("static regex")
});
static HIDDEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-*\s*此处隐藏\s*[\d,，]*\s*字.*").expect("static regex"));

/// Lines that end the document on document-sharing sites: everything after
/// is the site's, not the report's.
const TAIL_MARKERS: &[&str] = &[
    "阅读全文",
    "想阅读完全部",
    "如果喜欢本篇内容",
    "请赞赏鼓励",
    "尚未有人赏赞",
    "请选择打赏类型",
    "微信扫一扫",
    "本文标题",
    "链接地址",
    "精选留言",
    "我要留言",
    "热门推荐",
    "相关内容",
    "上一篇",
    "下一篇",
    "【打印本页】",
    "【关闭窗口】",
    "扫一扫在手机打开",
];

const AGGREGATOR_MARKERS: &[&str] = &[
    "网友投稿",
    "赞赏",
    "打赏",
    "赏赞",
    "下载后查看",
    "此处隐藏",
    "您需要先登陆",
    "您需要先登录",
    "登录后查看",
    "VIP",
    "文档",
    "文库",
    "原创力",
];
const TRUNCATION_MARKERS: &[&str] = &[
    "此处隐藏",
    "下载后查看",
    "阅读全文",
    "您需要先登陆",
    "您需要先登录",
    "登录后查看",
    "查看全文",
    "剩余内容",
];

/// UI words that are never document text.
const UI_LINES: &[&str] = &[
    "分享：",
    "分享:",
    "打印",
    "关闭",
    "收藏",
    "字体：[]",
    "【字体：大 中 小】",
    "[打印]",
    "[关闭]",
];

/// Splits page chrome from the body: header lines with metadata labels,
/// banners, aggregator tails and hidden-text notices.
pub fn clean(raw: &str) -> (String, Chrome) {
    let mut chrome = Chrome::default();
    let lines: Vec<&str> = raw
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'))
        .collect();
    for marker in AGGREGATOR_MARKERS {
        if raw.contains(marker) {
            chrome.aggregator_signals.push(marker.to_string());
        }
    }
    for marker in TRUNCATION_MARKERS {
        if raw.contains(marker) {
            chrome.truncation_signals.push(marker.to_string());
        }
    }
    // The tail: from the first marker line in the second half of the text.
    let total = lines.len();
    let end = lines
        .iter()
        .enumerate()
        .position(|(i, l)| (i * 2 >= total || l.contains("阅读全文")) && TAIL_MARKERS.iter().any(|m| l.contains(m)))
        .unwrap_or(total);

    let mut body = Vec::new();
    for (i, line) in lines[..end].iter().enumerate() {
        if line.is_empty() || UI_LINES.contains(line) {
            continue;
        }
        if i < 12 && *line == "政府信息公开" {
            chrome.disclosure_banner = true;
            continue;
        }
        if HIDDEN.is_match(line) {
            let rest = HIDDEN.replace(line, "");
            let rest = rest.trim();
            if !rest.is_empty() {
                body.push(rest.to_string());
            }
            continue;
        }
        if let Some(pairs) = label_line(line) {
            chrome.pairs.extend(pairs);
            continue;
        }
        if i < 12
            && chrome.bare_date.is_none()
            && let Some(caps) = BARE_DATE.captures(line)
        {
            chrome.bare_date = Some(caps[1].to_string());
            continue;
        }
        body.push(line.to_string());
    }
    (body.join("\n"), chrome)
}

/// A line made only of `label: value` pairs (an info bar), or `None`.
fn label_line(line: &str) -> Option<Vec<(String, String)>> {
    let matches: Vec<_> = LABEL.captures_iter(line).collect();
    let first = matches.first()?.get(0)?;
    // The line must start with a label and be short: a sentence that
    // happens to contain 来源: is body text.
    if first.start() != 0 || line.chars().count() > 120 {
        return None;
    }
    let mut pairs = Vec::new();
    for (i, caps) in matches.iter().enumerate() {
        let whole = caps.get(0)?;
        let end = matches
            .get(i + 1)
            .and_then(|n| n.get(0))
            .map_or(line.len(), |m| m.start());
        let value = line[whole.end()..end]
            .trim()
            .trim_end_matches(['[', ']', '【', '】'])
            .trim();
        pairs.push((caps[1].to_string(), value.to_string()));
    }
    Some(pairs)
}

/// Char offsets of the first `needle` in `text`.
pub fn char_span(text: &str, needle: &str) -> Option<(u32, u32)> {
    if needle.is_empty() {
        return None;
    }
    let byte = text.find(needle)?;
    let start = text[..byte].chars().count() as u32;
    Some((start, start + needle.chars().count() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_pairs_and_tails_are_chrome() {
        let raw = "甲镇2023年政府工作报告\n\n发布机构: 某区甲镇 发文日期: 2024-08-19 16:45 字体: []\n\n各位代表：\n正文。\n阅读全文\n(想阅读完全部图文内容,您需要先登陆!)\n¥0.01\n分享:";
        let (text, chrome) = clean(raw);
        assert_eq!(text, "甲镇2023年政府工作报告\n各位代表：\n正文。");
        assert_eq!(chrome.pairs[0], ("发布机构".into(), "某区甲镇".into()));
        assert_eq!(chrome.pairs[1], ("发文日期".into(), "2024-08-19 16:45".into()));
        assert!(chrome.truncation_signals.contains(&"阅读全文".to_string()));
    }

    #[test]
    fn hidden_text_notices_are_removed_but_flagged() {
        let (text, chrome) = clean("标题\n第一段\n---此处隐藏4290字,下载后查看---\n第二段");
        assert_eq!(text, "标题\n第一段\n第二段");
        assert!(!chrome.truncation_signals.is_empty());
    }

    #[test]
    fn spans_count_chars() {
        assert_eq!(char_span("各位代表，现在", "现在"), Some((5, 7)));
    }
}
