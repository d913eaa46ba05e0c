//! The record's text: the document body without page chrome, and the
//! metadata that chrome carried (publisher, dates, site signals).
//!
//! Pages reach the extractor as text with the site's furniture still in it:
//! breadcrumbs, info bars (`来源：… | 发布时间：… | 浏览次数：…`), font and
//! print buttons, share and reward blocks, "read more" walls. None of it is
//! the report's; the info bar is kept aside because it names the publisher
//! and the publication date.

use std::sync::LazyLock;

use regex::Regex;

/// What the chrome lines said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chrome {
    /// `(label, value)` pairs from lines such as `发布机构: X 发文日期: Y`.
    pub pairs: Vec<(String, String)>,
    /// A date printed alone (or ahead of the info bar) near the top:
    /// aggregators print `2022-03-11 249`.
    pub bare_date: Option<String>,
    /// A `政府信息公开` banner line.
    pub disclosure_banner: bool,
    /// Signals of a document-sharing site (reward, share, login walls).
    pub aggregator_signals: Vec<String>,
    /// Signals that part of the text is hidden or cut.
    pub truncation_signals: Vec<String>,
}

/// How many leading lines are the page's head, where a site prints its
/// breadcrumb, banner and info bar.
const HEAD_LINES: usize = 15;

/// Labels that only ever name page metadata: a line starting with one is an
/// info bar wherever it is.
static STRICT_LABELS: LazyLock<Vec<&str>> =
    LazyLock::new(|| PUBLISHER_LABELS.iter().chain(OTHER_STRICT_LABELS).copied().collect());
/// Labels that name the publisher, strongest first (`meta` reads the
/// publisher after them).
pub(crate) const PUBLISHER_LABELS: &[&str] = &[
    "发布机构",
    "发文机关",
    "发文机构",
    "发布单位",
    "发布部门",
    "来源单位",
    "信息来源",
    "文章来源",
    "稿件来源",
    "来源",
];

/// The other labels that only ever name page metadata: dates, numbers,
/// counts, editors.
const OTHER_STRICT_LABELS: &[&str] = &[
    "发文日期",
    "发布日期",
    "公布日期",
    "公布时间",
    "公开日期",
    "发表时间",
    "发表日期",
    "发布更新时间",
    "发布时间",
    "更新时间",
    "成文日期",
    "生成日期",
    "上传时间",
    "索引号",
    "发文字号",
    "文号",
    "主题分类",
    "公开方式",
    "公开范围",
    "有效性",
    "浏览次数",
    "访问次数",
    "点击次数",
    "阅读次数",
    "点击数",
    "浏览量",
    "点击量",
    "阅读量",
    "访问量",
    "字体",
    "字号",
    "责任编辑",
    "编辑",
    "作者",
    "审核",
    "校对",
];
/// Labels that are common words too (时间, 点击): an info bar only in the head.
const LOOSE_LABELS: &[&str] = &["时间", "日期", "点击", "阅读", "浏览", "访问", "发布"];

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    let mut labels: Vec<&str> = STRICT_LABELS.iter().chain(LOOSE_LABELS).copied().collect();
    // Longest first, so that 发布时间 wins over 发布 and 时间 at one position.
    labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
    Regex::new(&format!(r"({})\s*[:：]", labels.join("|"))).expect("static regex")
});
/// A date (and time) leading an info bar or standing alone: `2023-12-26 10:21:33`.
static LEADING_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}(?:\s*日)?)(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?[\s|｜丨]*",
    )
    .expect("static regex")
});
/// A date line under the title, with a view count at most: `2022-03-11 249`.
/// (A document-sharing page prints `- 19.09 KB - 2021-04-14 发布 -`.)
static BARE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:-\s*[\d.]+\s*[KM]B\s*-\s*)?((?:19|20)\d{2}-\d{1,2}-\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s+\d+|\s*发布\s*-?)?$").expect("static regex")
});
/// Buttons and widgets: 【字体：大 中 小】, 【打印本页】【关闭窗口】, 分享到：.
static UI_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let words = [
        "字体",
        "字号",
        "默认",
        "打印本页",
        "打印",
        "关闭窗口",
        "关闭",
        "收藏本页",
        "收藏",
        "分享到",
        "分享",
        "返回顶部",
        "回到顶部",
        "返回",
        "回到",
        "顶部",
        "我要纠错",
        "纠错",
        "视力保护色",
        "保存",
        "扫一扫",
        "在手机打开",
        "手机查看",
        "微信",
        "微博",
        "QQ空间",
        "QQ",
        "大",
        "中",
        "小",
    ];
    let fill = r"[\s【】\[\]（）()|｜丨:：、·/]*";
    Regex::new(&format!("^{fill}(?:(?:{}){fill})+$", words.join("|"))).expect("static regex")
});
/// 当前位置：首页 > 政务公开 > …
static BREADCRUMB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:当前位置|您的位置|您现在的位置|你现在的位置|你的位置|所在位置|位置)\s*[:：]|^首页\s*(?:>|＞|》|»|→|/)",
    )
    .expect("static regex")
});
/// A notice that text is hidden here (`---此处隐藏4290字,下载后查看---`),
/// possibly glued to the text around it.
static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-*\s*(?:此处隐藏\s*[\d,，]*\s*字|以上为.{0,8}前\s*\d+\s*页内容)[^\n]*").expect("static regex")
});

static PINYIN_GLOSS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([\p{Han}])[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]{1,8}[)）]").expect("static regex")
});

/// `text` without the readings a mirror glosses its characters with
/// (鎮(zhèn) → 鎮).
pub fn without_glosses(text: &str) -> std::borrow::Cow<'_, str> {
    PINYIN_GLOSS.replace_all(text, "$1")
}

/// Banner lines that mark a government disclosure page.
const BANNERS: &[&str] = &[
    "政府信息公开",
    "信息公开",
    "政务公开",
    "政府信息公开专栏",
    "法定主动公开内容",
];

/// Lines that end the document on document-sharing sites and portals:
/// everything after is the site's, not the report's.
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
    "相关文档",
    "相关链接",
    "猜你喜欢",
    "本文由用户上传",
    "如有侵权",
    "上一篇",
    "下一篇",
    "【打印本页】",
    "【关闭窗口】",
    "扫一扫在手机打开",
];

/// Phrases only document-sharing sites print.
const AGGREGATOR_MARKERS: &[&str] = &[
    "网友投稿",
    "下载后查看",
    "此处隐藏",
    "您需要先登陆",
    "您需要先登录",
    "登录后查看",
    "本文由用户上传",
    "相关文档推荐",
    "下载完整文档",
    "文档前1页",
    "原创力文档",
];
/// Words a sharing site prints on its buttons, and a report may use in a
/// sentence (群众赞赏): signals only on a short line of their own.
const AGGREGATOR_BUTTONS: &[&str] = &["赞赏", "打赏", "赏赞", "文库", "VIP", "会员下载"];
/// Phrases that say the text goes on somewhere else.
const TRUNCATION_MARKERS: &[&str] = &[
    "此处隐藏",
    "下载后查看",
    "阅读全文",
    "您需要先登陆",
    "您需要先登录",
    "登录后查看",
    "查看全文",
    "展开全文",
    "余下全文",
    "剩余内容",
    "下载完整文档",
    "以上为文档前",
    "正式会员可完整阅读",
    "超出免费预览",
];

/// A numbered part that is not the first, opening the text: the page is a
/// later slice of a paginated report ((六)农村基层组织…, 二是…).
static LATER_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[（(][二三四五六七八九十]{1,3}[）)]|[二三四五六七八九十]{1,3}[、.．]|[二三四五六七八九十]{1,2}是)")
        .expect("static regex")
});

/// Notes the cuts the text itself shows: it ends in an ellipsis (the
/// preview stops there), or it opens on a later part of the report.
fn note_cuts(body: &[String], chrome: &mut Chrome) {
    if body
        .last()
        .is_some_and(|l| l.trim_end().ends_with("...") || l.trim_end().ends_with('…'))
    {
        chrome.truncation_signals.push("ends in an ellipsis".into());
    }
    if body.first().is_some_and(|l| LATER_PART.is_match(l)) {
        chrome.truncation_signals.push("opens on a later part".into());
    }
}

/// Notes the signals of a document-sharing site and of a cut text that
/// the page shows.
fn note_signals(raw: &str, lines: &[&str], chrome: &mut Chrome) {
    for marker in AGGREGATOR_MARKERS {
        if raw.contains(marker) {
            chrome.aggregator_signals.push(marker.to_string());
        }
    }
    for marker in AGGREGATOR_BUTTONS {
        if lines.iter().any(|l| l.chars().count() <= 30 && l.contains(marker)) {
            chrome.aggregator_signals.push(marker.to_string());
        }
    }
    for marker in TRUNCATION_MARKERS {
        if raw.contains(marker) {
            chrome.truncation_signals.push(marker.to_string());
        }
    }
}

/// Where an aggregator's tail starts: the first marker line in the second
/// half of the text (阅读全文 anywhere: it is the wall itself), else the end.
/// A marker with a paragraph after it (a newspaper page's 上一篇 among the
/// buttons above the article) is page chrome, not the tail.
fn tail_start(lines: &[&str]) -> usize {
    let total = lines.len();
    let last_paragraph = lines.iter().rposition(|l| l.chars().count() >= PARAGRAPH_CHARS);
    lines
        .iter()
        .enumerate()
        .position(|(i, l)| {
            (i * 2 >= total || l.contains("阅读全文"))
                && l.chars().count() <= 80
                && TAIL_MARKERS.iter().any(|m| l.contains(m))
                && last_paragraph.is_none_or(|p| p < i)
        })
        .unwrap_or(total)
}

/// A line this long is a paragraph of the document, not a link or button.
const PARAGRAPH_CHARS: usize = 150;

/// Splits page chrome from the body: header lines with metadata labels,
/// banners, breadcrumbs, buttons, aggregator tails and hidden-text notices.
pub fn clean(raw: &str) -> (String, Chrome) {
    let mut chrome = Chrome::default();
    // Mirrors gloss characters with their reading, 鎮(zhèn): the reading
    // is not the document's text and splits its words.
    let raw = &*without_glosses(raw);
    let lines: Vec<&str> = raw
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'))
        .filter(|l| !l.is_empty())
        .collect();
    // Disclosure tables flattened to text print a label on one line and
    // its value on the next (发布日期:\n2024-04-07): read them as one.
    let joined: Vec<String> = join_split_labels(&lines);
    let lines: Vec<&str> = joined.iter().map(String::as_str).collect();
    note_signals(raw, &lines, &mut chrome);
    let end = tail_start(&lines);
    let mut body = Vec::new();
    for (i, line) in lines[..end].iter().enumerate() {
        let head = i < HEAD_LINES;
        if UI_LINE.is_match(line) {
            continue;
        }
        if head && BANNERS.contains(line) {
            chrome.disclosure_banner = true;
            continue;
        }
        if head && BREADCRUMB.is_match(line) {
            if BANNERS.iter().any(|b| line.contains(b)) {
                chrome.disclosure_banner = true;
            }
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
        if let Some(bar) = info_bar(line, head) {
            if chrome.bare_date.is_none() {
                chrome.bare_date = bar.date;
            }
            chrome.pairs.extend(bar.pairs);
            continue;
        }
        if head
            && chrome.bare_date.is_none()
            && let Some(caps) = BARE_DATE.captures(line)
        {
            chrome.bare_date = Some(caps[1].to_string());
            continue;
        }
        body.push(line.to_string());
    }
    note_cuts(&body, &mut chrome);
    (rejoin_broken_figures(&body).join("\n"), chrome)
}

/// Continuations of a figure that a PDF's line breaks cut off: a line
/// opening with a digit, a blank (XX) or a unit.
static FIGURE_CONTINUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[\d.]+|[xX×*＊]{1,6})?\s*(?:%|％|亿元|万元|元|万亩|亩|万人|人|个|户|吨|公里|增长|同比)|^[\d.]+\s*$|^[xX×*＊]{1,6}$")
        .expect("static regex")
});

/// Lines a PDF broke inside a sentence around a figure (完成地区生产总值 /
/// XX / 亿元,增长 / 5%) joined back, so the figure reads as printed; a line
/// that ends its sentence is never joined.
fn rejoin_broken_figures(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        let joins = out.last().is_some_and(|prev: &String| {
            !prev.ends_with(['。', '；', '！', '？', '：', ':', ';']) && FIGURE_CONTINUES.is_match(line)
        });
        match out.last_mut() {
            Some(prev) if joins => prev.push_str(line),
            _ => out.push(line.clone()),
        }
    }
    out
}

/// `label:` lines joined with the value on the next line, when that line is
/// not a label itself.
fn join_split_labels(lines: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let bare_label = LABEL
            .find(line)
            .is_some_and(|m| m.start() == 0 && m.end() == line.len());
        match lines.get(i + 1) {
            Some(next)
                if bare_label && LABEL.find(next).is_none_or(|m| m.start() != 0) && next.chars().count() <= 80 =>
            {
                out.push(format!("{line}{next}"));
                i += 2;
            }
            _ => {
                out.push(line.to_string());
                i += 1;
            }
        }
    }
    out
}

/// A letter-spaced line (政 府 工 作 报 告, 镇 长 曹 铮: most characters stand
/// alone) with the spaces between its characters taken out; any other line
/// as it is.
pub fn unspaced(line: &str) -> String {
    let han = |c: Option<&char>| c.is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(c));
    let chars: Vec<char> = line.chars().collect();
    let han_count = chars.iter().filter(|c| han(Some(c))).count();
    let joined = chars
        .windows(2)
        .filter(|w| han(Some(&w[0])) && han(Some(&w[1])))
        .count();
    if joined * 2 >= han_count {
        return line.to_string();
    }
    chars
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !(c.is_whitespace()
                && han(chars[..*i].iter().rev().find(|c| !c.is_whitespace()))
                && han(chars[*i..].iter().find(|c| !c.is_whitespace())))
        })
        .map(|(_, c)| *c)
        .collect()
}

/// Whether a line is page furniture wherever it stands: a button row, a
/// breadcrumb, a banner, an info bar or a bare date.
pub fn is_chrome_line(line: &str) -> bool {
    let line = line.trim();
    UI_LINE.is_match(line)
        || BREADCRUMB.is_match(line)
        || BANNERS.contains(&line)
        || BARE_DATE.is_match(line)
        || info_bar(line, true).is_some()
}

/// What an info bar line holds.
struct InfoBar {
    /// A date printed ahead of the labels.
    date: Option<String>,
    pairs: Vec<(String, String)>,
}

/// A line made only of `label: value` pairs (an info bar), possibly led by
/// a date, or `None`.
fn info_bar(line: &str, head: bool) -> Option<InfoBar> {
    // The line must be short: a sentence that happens to contain 来源: is
    // body text.
    if line.chars().count() > 160 {
        return None;
    }
    let (date, rest) = match LEADING_DATE.captures(line) {
        Some(caps) => {
            let whole = caps.get(0)?;
            (Some(caps[1].to_string()), &line[whole.end()..])
        }
        None => (None, line),
    };
    let matches: Vec<_> = LABEL.captures_iter(rest).collect();
    let first = matches.first()?;
    let first_label = first.get(1)?.as_str();
    if first.get(0)?.start() != 0 || !(head || STRICT_LABELS.contains(&first_label)) {
        return None;
    }
    let mut pairs = Vec::new();
    for (i, caps) in matches.iter().enumerate() {
        let whole = caps.get(0)?;
        let end = matches
            .get(i + 1)
            .and_then(|n| n.get(0))
            .map_or(rest.len(), |m| m.start());
        let value = rest[whole.end()..end].trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, '|' | '｜' | '丨' | '[' | ']' | '【' | '】' | '·' | '/' | '\u{3000}')
        });
        pairs.push((caps[1].to_string(), value.to_string()));
    }
    Some(InfoBar { date, pairs })
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
    fn dates_of_sharing_sites() {
        let (_, chrome) = clean("- 19.09 KB - 2021-04-14 发布 -\n全镇完成投资。");
        assert_eq!(chrome.bare_date.as_deref(), Some("2021-04-14"));
        let (_, chrome) = clean("2024-05-01 05:31| 来源: 网络整理| 查看: 265\n全镇完成投资。");
        assert_eq!(chrome.bare_date.as_deref(), Some("2024-05-01"));
    }

    #[test]
    fn cuts_the_page_shows() {
        let cut = |t: &str| !clean(t).1.truncation_signals.is_empty();
        assert!(cut("全镇完成投资5亿元。\n全面启动工业园区基础..."));
        assert!(cut("（六）农村基层组织建设进一步加强。\n一是狠抓培训。"));
        assert!(cut(
            "全镇完成投资。\n……(某某网省略932字,正式会员可完整阅读)……\n工业增长。"
        ));
        assert!(!cut("一、2023年工作回顾\n全镇完成投资5亿元。"));
    }

    #[test]
    fn buttons_above_the_article_are_not_its_tail() {
        let paragraph = "多祥镇将立足自身优势，".repeat(20);
        let lines = [
            "首版",
            "上一版",
            "下一版",
            "文章标题",
            "上一篇",
            "下一篇",
            paragraph.as_str(),
            "一是加快构建特色产业体系。",
        ];
        assert_eq!(tail_start(&lines), lines.len());
        let lines = [
            paragraph.as_str(),
            "二是推进城镇建设。",
            "相关文章",
            "上一篇",
            "下一篇",
            "某镇召开会议",
        ];
        assert_eq!(tail_start(&lines), 3);
    }

    #[test]
    fn a_figure_broken_over_lines_is_joined_back() {
        let (text, _) = clean(
            "一、2023年工作回顾\n预计全年完成地区生产总值\nXX\n亿元,增长\n5%;财政收入增长14.9%。\n二、2024年工作安排",
        );
        assert_eq!(
            text,
            "一、2023年工作回顾\n预计全年完成地区生产总值XX亿元,增长5%;财政收入增长14.9%。\n二、2024年工作安排"
        );
    }

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
    fn breadcrumbs_buttons_and_separated_info_bars() {
        let raw = "当前位置：首页 > 政务公开 > 政府工作报告\n甲镇2024年政府工作报告\n信息来源：甲镇人民政府 | 发布时间：2024年01月22日 | 浏览次数：358\n【字体：大 中 小】\n各位代表：\n正文。\n【打印本页】【关闭窗口】";
        let (text, chrome) = clean(raw);
        assert_eq!(text, "甲镇2024年政府工作报告\n各位代表：\n正文。");
        assert_eq!(
            chrome.pairs,
            [
                ("信息来源".to_string(), "甲镇人民政府".to_string()),
                ("发布时间".into(), "2024年01月22日".into()),
                ("浏览次数".into(), "358".into())
            ]
        );
        assert!(chrome.disclosure_banner, "政务公开 in the breadcrumb");
    }

    #[test]
    fn loose_labels_only_in_the_head_and_dates_ahead_of_the_bar() {
        let (_, chrome) = clean("标题\n2023-12-26 10:21:33 来源：网友投稿 阅读：1520\n正文");
        assert_eq!(chrome.bare_date.as_deref(), Some("2023-12-26"));
        assert_eq!(chrome.pairs[1], ("阅读".into(), "1520".into()));
        let body = format!("标题\n{}时间：全年，地点：全镇", "正文\n".repeat(20));
        let (text, chrome) = clean(&body);
        assert!(chrome.pairs.is_empty());
        assert!(text.ends_with("时间：全年，地点：全镇"));
    }

    #[test]
    fn hidden_text_notices_are_removed_but_flagged() {
        let (text, chrome) = clean("标题\n第一段\n---此处隐藏4290字,下载后查看---\n第二段");
        assert_eq!(text, "标题\n第一段\n第二段");
        assert!(!chrome.truncation_signals.is_empty());
        let (text, chrome) = clean("标题\n第一段\n---- 以上为文档前1页内容，下载后查看完整文档 ----");
        assert_eq!(text, "标题\n第一段");
        assert!(!chrome.aggregator_signals.is_empty());
    }

    #[test]
    fn spans_count_chars() {
        assert_eq!(char_span("各位代表，现在", "现在"), Some((5, 7)));
    }
}
