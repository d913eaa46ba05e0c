//! The document's own title: found among the page's chrome (breadcrumbs,
//! disclosure tables, site banners, speaker lines, section headings) and
//! printed without it — no `信息名称:` label, no `.docx`, no pager or date
//! glued on.

use std::sync::LazyLock;

use regex::Regex;
use townreports_proto::v1::ParsedDocument;

use crate::classify;
use crate::text::{self, Chrome};

/// Lines of the opening where a title is looked for: chrome-heavy pages
/// print forty lines of navigation and table before it.
const OPENING_LINES: usize = 60;

/// Lines that are never a title.
const NOT_TITLES: &[&str] = &["政府信息公开", "信息公开", "正文", "首页"];

/// Labels a disclosure table or an aggregator prints before the title.
/// 称 is what a cut 名称 leaves.
const TITLE_LABELS: &[&str] = &[
    "信息名称",
    "文章标题",
    "文档名称",
    "标题",
    "名称",
    "题名",
    "内容概述",
    "称",
];

/// Words of site furniture: a line with one is a banner, a login bar or a
/// breadcrumb, not a document's name.
const FURNITURE: &[&str] = &[
    "欢迎",
    "登录",
    "注册",
    "无障碍",
    "适老",
    "当前位置",
    "所在位置",
    "您的位置",
    "首页",
    "网站地图",
    "版权所有",
    "主办单位",
    "承办",
    "备案",
    "目录/提纲",
    "发布时间",
    "浏览次数",
    "信息分类",
    "组配分类",
    "主题分类",
    "小编",
    "为大家",
    "供大家",
    "本站",
    "下载",
];

static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^\s*(?:{})\s*[:：|｜]\s*", TITLE_LABELS.join("|"))).expect("static regex"));
/// What is glued after a title: a file extension, a pager, a date, 范文 tags,
/// the line of the meeting it was delivered to (——在…会议上).
static TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\s*[（(]\s*(?:第\s*\d+\s*/\s*\d+\s*页|全文|\d+\s*/\s*\d+)\s*[)）]|_第\d+页|\.(?:docx?|wps|pdf|txt|ofd|html?)|范文(?:大全)?|\s*[-—]{1,4}\s*在[^—\-]{2,40}会议上\s*(?:[（(][^)）]{0,16}[)）])?|\s*(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)+\s*$",
    )
    .expect("static regex")
});
/// A document-sharing site's blurb naming what it serves:
/// 下面是小编为大家整理的某街道工作总结及2023年工作思路，供大家参考。
static BLURB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:整理|收集|搜集|分享)(?:了|的)?(?:\d+篇|一篇|几篇)?(?:关于)?([^，,。！!：:]{4,40}?)(?:\d+篇)?(?:范文)?[，,。]\s*(?:供大家|希望|仅供|欢迎)")
        .expect("static regex")
});

/// A title at the head of a line that runs on: it ends on the kind of
/// document, before a dash, a space, a bracket or the text itself.
static GLUED_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\S{4,40}?(?:工作报告|情况报告|调研报告|工作总结|工作汇报|情况汇报|工作计划|工作要点|工作思路|工作规划)(?:[及和暨与]\S{0,20}?(?:计划|规划|思路|打算|安排|要点))?)(?:\s|—|-|[（(]|$|\p{Han}|(?:19|20)\d{2}\s*年[，,])")
        .expect("static regex")
});

/// A date at the end of a title's line: `某街道2023年工作总结 2024-02-29`.
static GLUED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s((?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$").expect("static regex")
});
/// A numbered section heading: 一、…, （二）…, 1.…, 第三部分.
static SECTION_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|\d{1,2}\s*[、.．]\D|第[一二三四五六七八九十]{1,3}(?:部分|章|篇))")
        .expect("static regex")
});
/// A speaker line: 某镇人民政府镇长 张三.
static SPEAKER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:镇长|乡长|主任|书记|代镇长|代乡长)\s*[\u4e00-\u9fa5]{2,4}$").expect("static regex")
});

/// `line` without a title label before it and chrome glued after it.
pub fn strip(line: &str) -> String {
    let line = line.trim();
    let line = LABEL.find(line).map_or(line, |m| &line[m.end()..]);
    let line = TAIL.find(line).map_or(line, |m| &line[..m.start()]);
    // Reading glosses and letter spacing are print, not words.
    let line = text::without_glosses(line.trim());
    text::unspaced(&line)
}

/// Whether a (stripped) line can be a document's title: short, not a
/// banner, a breadcrumb, a salutation, a meeting or speaker line, a section
/// heading or a sentence.
pub fn title_like(line: &str) -> bool {
    let t = line.trim();
    let n = t.chars().count();
    (4..=80).contains(&n)
        && !NOT_TITLES.contains(&t)
        && !text::is_chrome_line(t)
        && !t.contains(['>', '＞', '»', '|', '•'])
        && !FURNITURE.iter().any(|w| t.contains(w))
        && !SECTION_HEADING.is_match(t)
        && !SPEAKER_LINE.is_match(t)
        && !t.starts_with(['—', '-', '（', '(', '·', '*', '/'])
        && !t.starts_with("各位")
        && !["向大会", "请予", "报告工作", "本报讯", "记者"]
            .iter()
            .any(|w| t.contains(w))
        && !t.ends_with(['。', '：', ':', '，', ',', '；', '！', '!'])
        && t.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count() >= 4
}

/// How strongly a title-like line reads as this document's name.
fn strength(line: &str) -> u32 {
    let mut score = 0;
    if classify::names_a_document(line) {
        score += 4;
    }
    if ["镇", "乡", "街道", "办事处", "苏木"].iter().any(|w| line.contains(w)) {
        score += 2;
    }
    if line.contains("年") && line.chars().any(|c| c.is_ascii_digit()) {
        score += 1;
    }
    score
}

/// A title and where it came from: `line` is the text line it was read
/// from (its evidence), when it came from the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Title {
    pub title: String,
    pub origin: &'static str,
    pub line: Option<String>,
    /// A date printed after the title on its line (aggregators print the
    /// upload date there).
    pub date: Option<String>,
}

/// The title and where it came from: the page's own (meta tag or heading)
/// when it names a document, a labelled title of the page's table, else
/// the opening line that reads most like a document's name.
pub fn pick(doc: &ParsedDocument, chrome: &Chrome, text: &str) -> Option<Title> {
    let meta = |title: String, origin: &'static str| Title {
        title,
        origin,
        line: None,
        date: None,
    };
    let named = |t: &str| title_like(t) && classify::names_a_document(t);
    if let Some(t) = doc.meta.get("ArticleTitle").map(|t| strip(t)).filter(|t| title_like(t)) {
        return Some(meta(t, "meta:ArticleTitle"));
    }
    for (label, value) in &chrome.pairs {
        let value = strip(value);
        if TITLE_LABELS.contains(&label.as_str()) && named(&value) {
            return Some(meta(value, "page"));
        }
    }
    let page_title = strip(&doc.title);
    if named(&page_title) && !text.starts_with(doc.title.trim()) {
        return Some(meta(page_title, "page"));
    }
    let mut best: Option<(String, u32, usize, &str)> = None;
    for (i, line) in opening_lines(text).into_iter().take(OPENING_LINES).enumerate() {
        let mut t = strip(&line.replace(['\n', '\r'], ""));
        // A first line that runs on into the text (颛桥镇人民政府半年工作情况报告
        // ——2022年7月28日在…) starts with its title.
        if !title_like(&t)
            && i < 3
            && let Some(head) = GLUED_TITLE.captures(&t).map(|c| c[1].to_string())
        {
            t = head;
        }
        if !title_like(&t) {
            continue;
        }
        let s = strength(&t);
        if best.as_ref().is_none_or(|(_, b, _, _)| s > *b) {
            best = Some((t, s, i, line.trim()));
        }
    }
    match best {
        // A line that names no document is a title only at the very top
        // (a news headline); further down it is a banner or a slogan.
        Some((title, s, i, line)) if s >= 4 || i < 2 => Some(Title {
            title,
            origin: "text",
            date: GLUED_DATE.captures(line).map(|c| c[1].to_string()),
            line: Some(line.to_string()),
        }),
        _ if title_like(&page_title) => Some(meta(page_title, "page")),
        // An attachment without a title line of its own: the title of the
        // disclosure page it was found on.
        _ => doc
            .meta
            .get(townreports_parser::FOUND_ON_TITLE)
            .map(|t| strip(t))
            .filter(|t| title_like(t))
            .map(|t| meta(t, "found_on:title")),
    }
}

/// The text's lines, except that a run of fragments at the very top (a
/// PDF's title broken after each word: XX / 镇2023 / 年政府工作报告) is
/// one line with the line it runs into; each item is a slice of `text`.
fn opening_lines(text: &str) -> Vec<&str> {
    // Too few characters to be a title on its own (`title_like` wants four
    // Han characters), so joining costs no title.
    const FRAGMENT: usize = 8;
    let han = |t: &str| t.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count();
    let mut lines: Vec<&str> = Vec::new();
    let mut run_start: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let short = {
            let t = body.trim();
            !t.is_empty()
                && t.chars().count() <= FRAGMENT
                && han(t) < 4
                && t.chars().all(|c| c.is_alphanumeric() || c == '*')
        };
        let at_top = lines.is_empty();
        match run_start {
            Some(start) if !short => {
                lines.push(&text[start..offset + body.len()]);
                run_start = None;
            }
            Some(_) => {}
            None if short && at_top => run_start = Some(offset),
            None => lines.push(body),
        }
        offset += line.len();
    }
    if let Some(start) = run_start {
        lines.push(text[start..].trim_end());
    }
    lines
}

/// What an aggregator's blurb says the page holds (its own words, not the
/// document's title): enough to tell what kind of document it is.
pub fn blurb_name(text: &str) -> Option<String> {
    text.lines().take(5).find_map(|line| {
        let name = strip(BLURB.captures(line)?.get(1)?.as_str());
        (title_like(&name) && classify::names_a_document(&name)).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_glued_to_the_year_that_opens_the_text() {
        let c = GLUED_TITLE
            .captures("镇2016年半年工作总结2016年,我镇紧紧围绕目标")
            .unwrap();
        assert_eq!(&c[1], "镇2016年半年工作总结");
    }

    #[test]
    fn meeting_lines_and_sample_tags_are_not_the_title() {
        assert_eq!(
            strip("称:政府工作报告--——在某镇第十二届人民代表大会第三次会议上(2023年)"),
            "政府工作报告"
        );
        assert_eq!(
            strip("某街道2021年工作总结暨2022年工作计划范文"),
            "某街道2021年工作总结暨2022年工作计划"
        );
    }

    fn doc(title: &str) -> ParsedDocument {
        ParsedDocument {
            title: title.into(),
            ..Default::default()
        }
    }

    fn pick_from(text: &str) -> Option<String> {
        let (clean, chrome) = text::clean(text);
        pick(&doc(""), &chrome, &clean).map(|t| t.title)
    }

    #[test]
    fn chrome_around_a_title_is_not_part_of_it() {
        assert_eq!(strip("名称:西区街道2024年工作总结"), "西区街道2024年工作总结");
        assert_eq!(strip("信息名称：某镇2023年工作要点"), "某镇2023年工作要点");
        assert_eq!(strip("镇人民政府2021年工作报告.doc"), "镇人民政府2021年工作报告");
        assert_eq!(
            strip("乡2023年政府工作报告-10篇(第20/30页)"),
            "乡2023年政府工作报告-10篇"
        );
        assert_eq!(
            strip("某街道办事处2023年工作总结2024-02-29"),
            "某街道办事处2023年工作总结"
        );
        assert_eq!(strip("政 府 工 作 报 告"), "政府工作报告");
        assert_eq!(strip("镇(zhèn)长工作报告_第1页"), "镇长工作报告");
    }

    #[test]
    fn the_title_behind_navigation_and_tables() {
        let page = "苏州 • 某区欢迎您! 用户登录 网站无障碍 适老版\n您当前所在位置:首页 > 信息公开\n\
                    索 引 号: 1419638/2023-00001\n发布机构: 某区某镇\n某镇2022年工作总结及2023年工作计划\n\
                    2022年,某镇坚持稳中求进。";
        assert_eq!(pick_from(page).as_deref(), Some("某镇2022年工作总结及2023年工作计划"));
        let crumbs = ">> 政府信息公开 >> 工作信息 >> 计划总结\n发布机构: 某镇 公开日期: 2025-01-09\n\
                      某镇2024年工作总结和2025年工作思路\n正文。";
        assert_eq!(pick_from(crumbs).as_deref(), Some("某镇2024年工作总结和2025年工作思路"));
    }

    #[test]
    fn a_title_broken_into_fragments_at_the_top_is_one_title() {
        let page = "XX\n镇2023\n年政府工作报告\n各位代表:\n现在,我代表XX镇人民政府向大会报告工作。";
        assert_eq!(pick_from(page).as_deref(), Some("XX镇2023年政府工作报告"));
        // Marks and separators are not fragments of a title.
        let page = "|\n政府工作报告\n各位代表:\n现在,我代表镇人民政府向大会报告工作。";
        assert_eq!(pick_from(page).as_deref(), Some("政府工作报告"));
    }

    #[test]
    fn an_attachment_without_a_title_line_takes_its_pages_title() {
        let text = "一、2023年工作回顾\n今年来，全乡上下紧紧围绕目标任务。";
        let (clean, chrome) = text::clean(text);
        let mut attachment = doc("一、2023年工作回顾");
        attachment
            .meta
            .insert(townreports_parser::FOUND_ON_TITLE.into(), "某乡2023年工作总结".into());
        let title = pick(&attachment, &chrome, &clean).expect("the page's title");
        assert_eq!(
            (title.title.as_str(), title.origin),
            ("某乡2023年工作总结", "found_on:title")
        );
    }

    #[test]
    fn headings_speakers_and_banners_are_not_titles() {
        assert_eq!(
            pick_from("一、2023年工作回顾\n今年来，全乡上下紧紧围绕目标任务。"),
            None
        );
        assert_eq!(
            pick_from("某镇人民政府镇长 李四\n各位代表：\n现在我代表镇人民政府向大会报告工作。"),
            None
        );
        assert_eq!(pick_from("网站首页\n数字报首页\n往期浏览"), None);
        assert_eq!(
            pick_from("某镇人民政府半年工作情况报告 ——2022年7月28日在某镇第六届人民代表大会第二次会议上 镇长 张三 各位代表: 现在,我代表某镇人民政府,向大会作报告,请予以审议,并请各位列席人员提出意见。").as_deref(),
            Some("某镇人民政府半年工作情况报告")
        );
        let blurb = "下面是小编为大家整理的街道工作总结及2023年工作思路,供大家参考。\n2022年来，街道认真贯彻。";
        assert_eq!(pick_from(blurb), None);
        assert_eq!(blurb_name(blurb).as_deref(), Some("街道工作总结及2023年工作思路"));
        // A news headline on the first line is the page's title.
        assert_eq!(
            pick_from("勇立潮头 奋力打造全市高质量发展增长极\n本报讯 今年，某镇确定了目标。").as_deref(),
            Some("勇立潮头 奋力打造全市高质量发展增长极")
        );
    }
}
