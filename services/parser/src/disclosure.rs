//! The disclosure block (索引号 / 发布机构 / 成文日期 …) in whichever of
//! its layouts a site uses (notes §2): `<table>` grids of `td`/`th` cells,
//! `dl/dd/label` lists, `<p><strong>label</strong>：value</p>` lines,
//! `ul/li` lists, and info bars holding several pairs on one line.
//!
//! Labels a disclosure block is known to use are read wherever a line
//! starts with one. Other labels (sites invent their own: 体裁分类,
//! 组配分类 …) are read only where markup says they are labels (`th`, `dt`,
//! `label`, `strong`, `b`, a cell ending in a colon) outside the article
//! body, so a report's 「各位代表：」 never becomes a field. Commented-out
//! rows are not in the DOM, so they are ignored for free.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use ego_tree::NodeId;
use regex::Regex;
use scraper::{ElementRef, Html};

use crate::stats::Stats;
use crate::text;

/// Labels of disclosure blocks, after normalisation. Synonyms are kept as
/// printed; the extractor decides which to trust.
pub const LABELS: &[&str] = &[
    "索引号",
    "主题分类",
    "信息分类",
    "体裁分类",
    "组配分类",
    "发布机构",
    "发文机关",
    "发文机构",
    "发文单位",
    "发布单位",
    "所属机构",
    "责任部门",
    "成文日期",
    "生成日期",
    "发文日期",
    "发布日期",
    "公开日期",
    "发布时间",
    "更新时间",
    "生效日期",
    "废止日期",
    "发文字号",
    "文号",
    "文件编号",
    "统一编号",
    "标题",
    "名称",
    "有效性",
    "时效",
    "有效期",
    "公开方式",
    "公开时限",
    "公开范围",
    "来源",
    "信息来源",
    "主题词",
    "关键词",
    "内容概述",
];

/// Labels that are page tools, not disclosure fields.
const NOT_FIELDS: &[&str] = &[
    "浏览次数",
    "访问量",
    "点击数",
    "点击量",
    "阅读次数",
    "字体",
    "字号",
    "分享到",
    "打印",
];

/// Elements whose text may be a pair, a label or a value.
const PAIR_ELEMENTS: &[&str] = &[
    "td", "th", "dt", "dd", "li", "p", "label", "strong", "b", "span", "font", "div", "em",
];
/// Elements that mark their text as a label.
const LABEL_ELEMENTS: &[&str] = &["th", "dt", "label", "strong", "b"];

/// Elements with more characters than this hold no pair: a pair never
/// spans an article.
const MAX_PAIR_TEXT: usize = 300;
/// Nor more bytes of text, whitespace included (bounds the rendering work).
const MAX_PAIR_LEN: usize = 4_096;
/// Labels a site invents are at most this long.
const MAX_LABEL: usize = 8;

/// The known labels as a regex alternation, longest first (so 信息来源 is
/// read whole, not as 来源), spaces allowed between characters.
static KNOWN: LazyLock<String> = LazyLock::new(|| {
    let mut labels = LABELS.to_vec();
    labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
    labels
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| regex::escape(&c.to_string()))
                .collect::<Vec<_>>()
                .join(r"\s*")
        })
        .collect::<Vec<_>>()
        .join("|")
});
/// A known label ending a text.
static KNOWN_AT_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:{})$", *KNOWN)).expect("static regex"));

/// Label/value pairs of `doc`, labels normalised, first non-empty value wins.
pub fn disclosure(doc: &Html, stats: &Stats, body: Option<NodeId>) -> BTreeMap<String, String> {
    let mut pairs = BTreeMap::new();
    for el in doc.root_element().descendants().filter_map(ElementRef::wrap) {
        let name = el.value().name();
        if !PAIR_ELEMENTS.contains(&name) || !small(stats, el.id()) {
            continue;
        }
        let line = text::flat(el);
        for (label, value) in inline_pairs(&line)
            .into_iter()
            .chain(marked_pair(el, &line, stats, body))
        {
            if !value.is_empty() && !NOT_FIELDS.contains(&label.as_str()) {
                pairs.entry(label).or_insert(value);
            }
        }
    }
    pairs
}

/// Pairs of a line that starts with a known label: `索引号：X`, or an info
/// bar `来源：X 发布时间：Y 作者：Z`, split at every label. A known label
/// with nothing after it takes the next cell's text (see [`marked_pair`]).
fn inline_pairs(line: &str) -> Vec<(String, String)> {
    let mut labels: Vec<Label> = Vec::new();
    for (colon, c) in line.char_indices().filter(|(_, c)| matches!(c, ':' | '：')) {
        if let Some(label) = label_before(&line[..colon], labels.is_empty()) {
            labels.push(Label {
                value_start: colon + c.len_utf8(),
                ..label
            });
        }
    }
    match labels.first() {
        Some(first) if first.known && line[..first.start].trim().is_empty() => {}
        _ => return Vec::new(),
    }
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let value_end = labels.get(i + 1).map_or(line.len(), |next| next.start);
            (label.name.clone(), clean_value(&line[label.value_start..value_end]))
        })
        .collect()
}

/// A label found in a line.
struct Label {
    name: String,
    known: bool,
    /// Where the label starts and its value starts, in bytes.
    start: usize,
    value_start: usize,
}

/// The label that `before` (the text up to a colon) ends with: a known
/// label, or an invented one of Han characters only. A label starts the
/// line or follows a separator; a later known label may also follow a
/// value directly (`来源：某镇发布时间：…`).
fn label_before(before: &str, first: bool) -> Option<Label> {
    let trimmed = before.trim_end();
    let label = |start: usize, known: bool| Label {
        name: normalise(&trimmed[start..]),
        known,
        start,
        value_start: 0,
    };
    if let Some(m) = KNOWN_AT_END.find(trimmed)
        && (!first || separated(trimmed, m.start()))
    {
        return Some(label(m.start(), true));
    }
    let start = trimmed
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_han(*c))
        .last()
        .map(|(i, _)| i)?;
    let length = trimmed[start..].chars().count();
    ((2..=MAX_LABEL).contains(&length) && separated(trimmed, start)).then(|| label(start, false))
}

/// Whether `text[at..]` starts a segment: at the start, or after a space,
/// a bracket, a bar or another colon.
fn separated(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || matches!(c, '】' | ']' | '|' | '｜' | ':' | '：'))
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The pair of an element marked up as a label (`<th>`, `<td>索引号：</td>`,
/// `<dt>`, `<label>`, `<strong>`), its value in the next cell or after it.
fn marked_pair(el: ElementRef, line: &str, stats: &Stats, body: Option<NodeId>) -> Option<(String, String)> {
    let name = el.value().name();
    let trimmed = line.trim();
    let colon = trimmed.ends_with([':', '：']);
    if !(LABEL_ELEMENTS.contains(&name) || (name == "td" && colon) || (name == "td" && is_known(trimmed))) {
        return None;
    }
    let label = normalise(trimmed);
    let known = LABELS.contains(&label.as_str());
    let invented = label.chars().count() <= MAX_LABEL
        && label.chars().count() >= 2
        && label.chars().all(is_han)
        && !body.is_some_and(|b| el.ancestors().any(|a| a.id() == b));
    if !(known || invented) {
        return None;
    }
    let next = el.next_siblings().find_map(ElementRef::wrap);
    let value = match next {
        // A header row of a list table: names of columns, not values.
        Some(next) if next.value().name() == "th" && name == "th" => return None,
        // 「上级政府网站：」 and a row of links: a menu, not a field.
        Some(next) if !known && linky(stats, next.id()) => return None,
        Some(next) if small(stats, next.id()) => clean_value(&text::flat(next)),
        _ => String::new(),
    };
    if is_known(&value) {
        // A header row of cells: the next "value" is the next column's name.
        return None;
    }
    let value = if value.is_empty() {
        // `<p><strong>文号</strong>：无</p>`: the value follows in the parent.
        el.parent()
            .and_then(ElementRef::wrap)
            .filter(|p| small(stats, p.id()) && (known || !linky(stats, p.id())))
            .map(|p| text::flat(p))
            .and_then(|whole| {
                let rest = whole.trim_start().strip_prefix(trimmed)?;
                Some(clean_value(rest.trim_start().trim_start_matches([':', '：'])))
            })
            .unwrap_or_default()
    } else {
        value
    };
    Some((label, value))
}

/// Whether an element has text, and little enough to hold a pair.
fn small(stats: &Stats, id: NodeId) -> bool {
    let c = stats.get(id);
    c.chars > 0 && c.chars <= MAX_PAIR_TEXT && c.len <= MAX_PAIR_LEN
}

/// Whether most of an element's text is link text.
fn linky(stats: &Stats, id: NodeId) -> bool {
    let c = stats.get(id);
    c.link_readable * 2 > c.readable
}

fn is_known(text: &str) -> bool {
    LABELS.contains(&normalise(text).as_str())
}

/// `索 引 号：` → `索引号`: spaces of every width and the colon removed.
pub fn normalise(label: &str) -> String {
    label
        .trim_end_matches(|c: char| c.is_whitespace() || c == ':' || c == '：')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn clean_value(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| matches!(c, '】' | '【' | '[' | ']' | '|' | '｜'))
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::measure;

    fn pairs(html: &str) -> BTreeMap<String, String> {
        let doc = Html::parse_document(html);
        let stats = measure(&doc);
        let body = doc
            .select(&scraper::Selector::parse(".TRS_Editor").unwrap())
            .next()
            .map(|e| e.id());
        disclosure(&doc, &stats, body)
    }

    #[test]
    fn table_grid_with_bold_labels() {
        let d = pairs(
            "<table class=bd1><tr><td><b>索 引 号：</b></td><td>000014349/2018-00222</td>\
             <td><b>主题分类：</b></td><td>卫生、体育\\医药管理</td></tr>\
             <tr><td><b>标　　题：</b></td><td colspan=3>关于某某的通知</td></tr>\
             <tr><th>文&nbsp;&nbsp;号：</th><td> 国发〔2018〕43号 </td><th>有效性：</th><td></td></tr></table>",
        );
        assert_eq!(d["索引号"], "000014349/2018-00222");
        assert_eq!(d["主题分类"], "卫生、体育\\医药管理");
        assert_eq!(d["标题"], "关于某某的通知");
        assert_eq!(d["文号"], "国发〔2018〕43号");
        assert!(!d.contains_key("有效性"), "empty values are left out: {d:?}");
    }

    #[test]
    fn dl_dd_label_layout() {
        let d = pairs(
            "<div class=meta-data><dl><dd class=IndexNo><label><font>索 引 号：</font></label><div class=display-block>014742224A/2023-0043406</div></dd>\
             <dd><label><font>信息类别：</font></label><div>统计数据</div></dd></dl></div>",
        );
        assert_eq!(d["索引号"], "014742224A/2023-0043406");
        assert_eq!(d["信息类别"], "统计数据", "an invented label in label markup");
    }

    #[test]
    fn strong_lines_commented_rows_and_lists() {
        let d = pairs(
            "<p><strong>索引号</strong>：000014348/2020-35147</p><p><strong>文号</strong>：无</p>\
             <!--<p><strong>成文日期</strong>：2020年08月02日</p>-->\
             <ul><li>发文字号：某政发〔2024〕7号</li><li>发文日期：2024年04月06日 16:40</li><li>有效性：</li></ul>",
        );
        assert_eq!(d["索引号"], "000014348/2020-35147");
        assert_eq!(d["文号"], "无");
        assert_eq!(d["发文字号"], "某政发〔2024〕7号");
        assert_eq!(d["发文日期"], "2024年04月06日 16:40");
        assert!(!d.contains_key("成文日期"));
        assert!(!d.contains_key("有效性"));
    }

    #[test]
    fn info_bars_split_at_every_label_and_drop_counters() {
        let d = pairs("<div class=info>来源：某某镇 发布时间：2023-01-17 10:21 作者：党政办 浏览次数：1</div>");
        let glued = pairs("<div>信息来源：某某镇发布时间：2023-01-17</div>");
        assert_eq!(glued["信息来源"], "某某镇");
        assert_eq!(glued["发布时间"], "2023-01-17");
        let empty = pairs("<div><span>来源：</span><span>访问量：199</span></div>");
        assert!(empty.is_empty(), "{empty:?}");
        let spaced = pairs("<dl><dd>公开范围： 面向全社会</dd> <dd>责任部门： 某某县统计局</dd></dl>");
        assert_eq!(spaced["公开范围"], "面向全社会");
        assert_eq!(spaced["责任部门"], "某某县统计局");
        assert_eq!(d["来源"], "某某镇");
        assert_eq!(d["发布时间"], "2023-01-17 10:21");
        assert_eq!(d["作者"], "党政办");
        assert!(!d.contains_key("浏览次数"));
    }

    #[test]
    fn body_text_is_not_a_field() {
        let d = pairs(
            "<div class=TRS_Editor><p><strong>各位代表：</strong></p><p>资料来源：县统计局</p>\
             <p>这是正文，提到来源：某处。</p><table><tr><th>项目</th><th>金额</th></tr></table></div>\
             <table><tr><th>名称</th><th>发布日期</th></tr></table>\
             <div class=links><strong>上级政府网站：</strong><span><a href=/a>某某省人民政府</a> <a href=/b>某某市人民政府</a></span></div>",
        );
        assert!(d.is_empty(), "{d:?}");
    }
}
