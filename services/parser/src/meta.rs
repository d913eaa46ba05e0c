//! Page metadata: the government `<meta>` tags and the disclosure block
//! (索引号 / 发布机构 / 成文日期 …) in whichever of its layouts a site uses.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use crate::dom::block_text;

/// Disclosure labels, after normalisation. Synonyms are kept as printed;
/// the extractor decides which to trust.
pub const LABELS: &[&str] = &[
    "索引号",
    "主题分类",
    "发布机构",
    "发文机关",
    "发文机构",
    "责任部门",
    "成文日期",
    "生成日期",
    "发文日期",
    "发布日期",
    "发文字号",
    "文号",
    "标题",
    "名称",
    "有效性",
    "时效",
    "公开方式",
    "公开时限",
    "公开范围",
    "来源",
    "信息来源",
    "发布时间",
    "更新时间",
    "主题词",
    "体裁分类",
    "组配分类",
    "文件编号",
    "统一编号",
    "发布单位",
];

static LABEL_RE: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<String> = LABELS
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| regex::escape(&c.to_string()))
                .collect::<Vec<_>>()
                .join(r"[\s\u{3000}\u{a0}\u{2002}]*")
        })
        .collect();
    Regex::new(&format!(
        r"({})[\s\u{{3000}}\u{{a0}}\u{{2002}}]*[:：]",
        alternatives.join("|")
    ))
    .expect("static regex")
});

/// Short elements only: a disclosure pair never spans a whole article.
const MAX_PAIR_TEXT: usize = 300;

/// `<meta name=… content=…>` pairs; the first non-empty value of a name wins.
pub fn meta_tags(doc: &Html) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    let selector = Selector::parse("meta[name][content]").expect("static selector");
    for meta in doc.select(&selector) {
        let (Some(name), Some(content)) = (meta.value().attr("name"), meta.value().attr("content")) else {
            continue;
        };
        let content = content.trim();
        if content.is_empty() || name.len() > 64 {
            continue;
        }
        tags.entry(name.to_string()).or_insert_with(|| content.to_string());
    }
    tags
}

fn normalise_label(label: &str) -> String {
    label
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}' && *c != '\u{a0}')
        .collect()
}

/// Label/value pairs from table cells, `dl/dd/label`, `<p><strong>` and
/// `ul/li` layouts, and info bars that hold several pairs on one line.
pub fn disclosure(doc: &Html) -> BTreeMap<String, String> {
    let mut pairs = BTreeMap::new();
    let selector =
        Selector::parse("td, th, dt, dd, li, p, label, strong, b, span, font, div").expect("static selector");
    for el in doc.select(&selector) {
        let text = block_text(el).replace('\n', " ");
        if text.chars().count() > MAX_PAIR_TEXT || !LABEL_RE.is_match(&text) {
            continue;
        }
        let matches: Vec<_> = LABEL_RE.captures_iter(&text).collect();
        for (i, caps) in matches.iter().enumerate() {
            let whole = caps.get(0).expect("group 0");
            let label = normalise_label(&caps[1]);
            let end = matches
                .get(i + 1)
                .map_or(text.len(), |next| next.get(0).expect("group 0").start());
            let mut value = clean_value(&text[whole.end()..end]);
            if value.is_empty() && matches.len() == 1 {
                value = next_sibling_text(el).unwrap_or_default();
            }
            if value.is_empty() {
                continue;
            }
            pairs.entry(label).or_insert(value);
        }
    }
    pairs
}

fn clean_value(raw: &str) -> String {
    // Info bars end a value at a run of spaces or at UI words.
    let mut value = raw
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}')
        .to_string();
    for stop in [
        "  ",
        "\u{3000}\u{3000}",
        "浏览次数",
        "访问量",
        "点击",
        "字体",
        "【",
        "打印",
        "分享",
    ] {
        if let Some(i) = value.find(stop) {
            value.truncate(i);
        }
    }
    value.trim().to_string()
}

fn next_sibling_text(el: ElementRef) -> Option<String> {
    let next = el.next_siblings().filter_map(ElementRef::wrap).next()?;
    let text = clean_value(&block_text(next).replace('\n', " "));
    (!text.is_empty() && text.chars().count() <= MAX_PAIR_TEXT).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_grid_and_info_bar_layouts() {
        let doc = Html::parse_document(
            "<table><tr><td><b>索 引 号：</b></td><td>000014349/2018-00222</td><td><b>发布日期：</b></td><td>2018年12月29日</td></tr></table>\
             <div class=info>来源: 某某镇 发布时间: 2023-01-17 10:21 浏览次数: 1</div>\
             <!-- <p><strong>成文日期</strong>：2020-01-01</p> -->\
             <p><strong>发布机构</strong>：某某镇人民政府</p>",
        );
        let d = disclosure(&doc);
        assert_eq!(d["索引号"], "000014349/2018-00222");
        assert_eq!(d["发布日期"], "2018年12月29日");
        assert_eq!(d["来源"], "某某镇");
        assert_eq!(d["发布时间"], "2023-01-17 10:21");
        assert_eq!(d["发布机构"], "某某镇人民政府");
        assert!(!d.contains_key("成文日期"), "commented-out rows are ignored");
    }

    #[test]
    fn meta_tags_first_non_empty_wins() {
        let doc = Html::parse_document(
            r#"<head><meta name="ArticleTitle" content=""><meta content="甲镇2023年政府工作报告" name="ArticleTitle"><meta name="PubDate" content="2024-03-01 10:00"></head>"#,
        );
        let m = meta_tags(&doc);
        assert_eq!(m["ArticleTitle"], "甲镇2023年政府工作报告");
        assert_eq!(m["PubDate"], "2024-03-01 10:00");
    }
}
