//! Recognising site chrome: the navigation, breadcrumbs, share and print
//! bars, QR prompts, view counters and footers every government template
//! wraps around the article.
//!
//! Two layers, because neither is enough alone. Markup: tags and the words
//! of class and id names (`nav`, `breadcrumb`, `share`, `footer`, the pinyin
//! `dqwz`/`fenxiang`/`ewm` …), trusted only for small or link-heavy
//! elements so a `print-area` wrapper around the whole article is kept.
//! Text: lines that are nothing but tool labels, breadcrumbs or previous/next
//! links, and counters inside lines — a view count changes on every visit
//! and must not change the page's text hash.

use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;

/// Words of class and id names that mark chrome.
const CHROME_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "submenu",
    "breadcrumb",
    "breadcrumbs",
    "crumb",
    "crumbs",
    "position",
    "location",
    "weizhi",
    "dqwz",
    "share",
    "bdshare",
    "bshare",
    "bdsharebuttonbox",
    "fenxiang",
    "qrcode",
    "ewm",
    "erweima",
    "footer",
    "foot",
    "copyright",
    "toolbar",
    "tools",
    "print",
    "related",
    "xgwz",
    "xglj",
    "search",
    "login",
    "sidebar",
    "topbar",
    "jiucuo",
    "prevnext",
];

/// Tags that are chrome whatever their size.
const CHROME_TAGS: &[&str] = &["nav", "footer"];
/// Tags that are chrome when small or link-heavy (an HTML5 `<header>` may
/// hold the article's own heading; then it is neither).
const MAYBE_CHROME_TAGS: &[&str] = &["header", "aside"];

/// Below this many readable characters a hinted element is chrome.
const SMALL: usize = 300;
/// Above this share of link text a hinted element is chrome.
const LINKY: f64 = 0.3;

/// Whether `element` may be chrome, before its size is known.
pub fn hinted(element: &Element) -> bool {
    let name = element.name();
    CHROME_TAGS.contains(&name)
        || MAYBE_CHROME_TAGS.contains(&name)
        || [element.id(), element.attr("class")]
            .into_iter()
            .flatten()
            .any(|names| words(names).any(|w| CHROME_WORDS.contains(&w.as_str())))
}

/// Whether `element`, holding `readable` letters of which `link_readable`
/// are in links, is chrome.
pub fn is_chrome(element: &Element, readable: usize, link_readable: usize) -> bool {
    if CHROME_TAGS.contains(&element.name()) {
        return true;
    }
    hinted(element) && (readable < SMALL || link_readable as f64 > LINKY * readable as f64)
}

/// Whether an element is hidden by its own markup (`hidden`, inline
/// `display:none` or `visibility:hidden`): templates keep empty attachment
/// boxes and print-only copies that way.
pub fn is_hidden(element: &Element) -> bool {
    if element.attr("hidden").is_some() {
        return true;
    }
    element.attr("style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

/// The lower-case words of a class or id attribute: split at non-letters
/// and at camelCase humps, trailing digits dropped (`shareBox2` → share, box).
fn words(names: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in names.chars() {
        let boundary = !c.is_ascii_alphabetic() || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphabetic() {
            word.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out.into_iter()
}

/// Tool labels: print, close, font size, share, QR prompts, back to top.
static TOOL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(打印(本页|此页|文章|正文)?|关闭(窗口|本页|页面)?|返回(顶部|首页|列表)?|",
        r"(加入|添加)?收藏(本页|本站)?|分享到?|转发到?|保存(本页)?|设为首页|(我要)?纠错|",
        r"字[体号][:：]?\s*([\[【〖(（]?\s*[大中小]\s*[\]】〗)）]?\s*)*|",
        r"(用|请用)?(手机|微信)?扫(一扫|描二维码)(在手机上?(打开|浏览|阅读)(当前页|本页)?|分享|即可在手机上?(打开|阅读|浏览))?|",
        r"微信|微博|QQ空间|QQ|朋友圈|无障碍(浏览|阅读)?|默认|视力保护色|[\s|｜·•/、,，:：\[\]【】〖〗()（）>]+)"
    ))
    .expect("static regex")
});
/// A view counter and its number.
static COUNTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"[【\[]?((浏览|阅读|访问|点击)(次数|量|数)[:：]\s*\d*|(浏览|阅读|点击)[:：]\s*\d+|",
        r"(浏览|阅读|访问|点击)(次数|量|数)?\s*[(（]\s*\d+\s*[)）])\s*次?[】\]]?"
    ))
    .expect("static regex")
});
/// Lines that are breadcrumbs or links to the neighbouring articles.
static NAVIGATION_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(您?(当前|现在|所在)的?位置|您的位置|所在位置|上一篇|下一篇|上一条|下一条|上篇|下篇)\s*[:：]")
        .expect("static regex")
});

/// `line` without its chrome, or `None` when nothing else is left.
pub fn clean_line(line: &str) -> Option<String> {
    if NAVIGATION_LINE.is_match(line) {
        return None;
    }
    let line = if COUNTER.is_match(line) {
        COUNTER.replace_all(line, "").trim().to_string()
    } else {
        line.to_string()
    };
    let all_tools = TOOL.find_iter(&line).map(|m| m.len()).sum::<usize>() == line.len();
    (!line.is_empty() && !all_tools).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn element(html: &str) -> Element {
        let doc = Html::parse_fragment(html);
        let selector = Selector::parse("div, nav, header, span").unwrap();
        doc.select(&selector).next().unwrap().value().clone()
    }

    #[test]
    fn class_words_split_at_humps_and_punctuation() {
        let got: Vec<String> = words("shareBox2 bd_share-btn  position").collect();
        assert_eq!(got, ["share", "box", "bd", "share", "btn", "position"]);
        assert!(hinted(&element("<div class='bdsharebuttonbox'></div>")));
        assert!(hinted(&element("<div id='navBar'></div>")));
        assert!(!hinted(&element("<div class='TRS_Editor'></div>")));
        assert!(!hinted(&element("<div class='zoom'></div>")), "zoom is the article");
    }

    #[test]
    fn hints_count_only_for_small_or_linky_elements() {
        let print = element("<div class='print-area'></div>");
        assert!(is_chrome(&print, 10, 0));
        assert!(!is_chrome(&print, 5_000, 100), "a print area around the article");
        assert!(is_chrome(&print, 5_000, 4_000));
        assert!(is_chrome(&element("<nav></nav>"), 5_000, 0));
        assert!(!is_chrome(&element("<header></header>"), 400, 0));
        assert!(!is_chrome(&element("<div class='content'></div>"), 10, 10));
    }

    #[test]
    fn hidden_by_markup() {
        assert!(is_hidden(&element("<div style='DISPLAY: none'></div>")));
        assert!(is_hidden(&element("<div hidden></div>")));
        assert!(!is_hidden(&element("<div style='display:block'></div>")));
    }

    #[test]
    fn tool_lines_go_and_text_stays() {
        for chrome in [
            "【打印本页】 【关闭窗口】",
            "【字体：大 中 小】",
            "字号：[大] [中] [小] | 打印 | 关闭",
            "分享到：",
            "扫一扫在手机打开当前页",
            "当前位置：首页 > 政务公开 > 工作报告",
            "您现在的位置: 首页",
            "上一篇：关于某某的通知",
            "浏览次数：123",
            "【阅读：45次】",
            "阅读(249)",
            "您的位置：首页 > 发行监管部",
        ] {
            assert_eq!(clean_line(chrome), None, "{chrome}");
        }
        assert_eq!(
            clean_line("来源：某某镇人民政府 发布时间：2024-01-05 浏览次数：1234").as_deref(),
            Some("来源：某某镇人民政府 发布时间：2024-01-05")
        );
        assert_eq!(clean_line("2022-03-11 阅读（87）").as_deref(), Some("2022-03-11"));
        for text in [
            "各位代表：",
            "一、2023年工作回顾",
            "打印机采购项目已完成",
            "默认值为零的情况下",
            "位置：某某村三组",
            "阅读：《乡村振兴读本》",
        ] {
            assert_eq!(clean_line(text).as_deref(), Some(text));
        }
    }
}
