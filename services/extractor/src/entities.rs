//! Named things a report mentions: villages (checked against the national
//! table), enterprises and cooperatives, and projects with their investment.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use townreports_proto::v1::{NamedEntity, Project, Span};

use crate::division::village_names;

#[derive(Debug, Default)]
pub struct Entities {
    pub villages: Vec<NamedEntity>,
    pub organizations: Vec<NamedEntity>,
    pub projects: Vec<Project>,
}

static ORGANIZATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\u4e00-\u9fa5（）()]{2,24}?(?:股份有限公司|有限责任公司|有限公司|专业合作社|合作社|集团)")
        .expect("static regex")
});
/// What every [`ORGANIZATION`] ends in.
const ORGANIZATION_SUFFIXES: &[&str] = &["公司", "合作社", "集团"];
/// 总投资4000余万元的形源坞水库 / 铺前卫生院项目，总投资1200万元
static INVESTED_PROJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"总投资\s*(\d+(?:\.\d+)?)\s*(余|多)?\s*(万元|亿元)\s*的\s*([\u4e00-\u9fa5A-Za-z0-9]{2,24})")
        .expect("static regex")
});
static PROJECT_INVESTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([\u4e00-\u9fa5A-Za-z0-9]{2,24}项目)[^。；]{0,12}?总投资\s*(\d+(?:\.\d+)?)\s*(余|多)?\s*(万元|亿元)")
        .expect("static regex")
});
/// Words that open a clause rather than a name.
const CLAUSE_WORDS: &[&str] = &[
    "引进", "新增", "培育", "依托", "推动", "支持", "组建", "成立", "注册", "全镇", "其中",
];

fn span(text: &str, byte_start: usize, byte_end: usize) -> Span {
    let start = text[..byte_start].chars().count() as u32;
    Span {
        start,
        end: start + text[byte_start..byte_end].chars().count() as u32,
    }
}

fn yuan(amount: &str, unit: &str) -> Option<f64> {
    let v: f64 = amount.parse().ok()?;
    Some(v * if unit == "亿元" { 1e8 } else { 1e4 })
}

/// The matches of `regex` in `text`, searched only in the runs of
/// characters `in_match` allows that contain one of `needles`. For a
/// pattern that opens with a character class and no literal, this gives
/// the same matches as searching the whole text (a match lies inside one
/// run) at a fraction of the cost: most of a report has no such run.
fn in_runs<'t>(
    text: &'t str,
    regex: &'t Regex,
    in_match: fn(char) -> bool,
    needles: &'t [&str],
) -> impl Iterator<Item = regex::Captures<'t>> + 't {
    runs(text, in_match)
        .filter(|&(start, end)| needles.iter().any(|n| text[start..end].contains(n)))
        .flat_map(move |(start, end)| {
            // Searched with the run's start as the start of the haystack's
            // window, so offsets stay those of the whole text.
            let mut at = start;
            std::iter::from_fn(move || {
                let caps = regex.captures_at(&text[..end], at)?;
                let whole = caps.get(0).expect("group 0");
                // The patterns here never match empty; if one did, stop
                // rather than search the same place again.
                (!whole.is_empty()).then(|| {
                    at = whole.end();
                    caps
                })
            })
        })
}

/// Byte ranges of the maximal runs of characters `in_match` allows.
fn runs(text: &str, in_match: fn(char) -> bool) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.by_ref().find(|&(_, c)| in_match(c))?;
        let mut end = text.len();
        while let Some(&(at, c)) = chars.peek() {
            if !in_match(c) {
                end = at;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

fn organization_char(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fa5}' | '（' | '）' | '(' | ')')
}

/// What a project clause is made of: anything but the marks that end one.
fn clause_char(c: char) -> bool {
    !matches!(c, '。' | '；')
}

pub fn find(text: &str) -> Entities {
    let mut out = Entities::default();
    for name in village_names(text) {
        if let Some(byte) = text.find(&name) {
            out.villages.push(NamedEntity {
                span: Some(span(text, byte, byte + name.len())),
                name,
            });
        }
    }
    let mut seen = BTreeSet::new();
    for caps in in_runs(text, &ORGANIZATION, organization_char, ORGANIZATION_SUFFIXES) {
        let m = caps.get(0).expect("group 0");
        let mut name = m.as_str();
        let mut start = m.start();
        while let Some(w) = CLAUSE_WORDS.iter().find(|w| name.starts_with(*w)) {
            name = &name[w.len()..];
            start += w.len();
        }
        if name.chars().count() >= 4 && seen.insert(name.to_string()) {
            out.organizations.push(NamedEntity {
                name: name.to_string(),
                span: Some(span(text, start, m.end())),
            });
        }
    }
    let mut projects = BTreeSet::new();
    for caps in INVESTED_PROJECT.captures_iter(text) {
        let whole = caps.get(0).expect("group 0");
        let name = caps[4].to_string();
        if projects.insert(name.clone()) {
            out.projects.push(Project {
                investment_yuan: yuan(&caps[1], &caps[3]),
                investment_text: Some(format!(
                    "{}{}{}",
                    &caps[1],
                    caps.get(2).map_or("", |q| q.as_str()),
                    &caps[3]
                )),
                span: Some(span(text, whole.start(), whole.end())),
                name,
            });
        }
    }
    for caps in in_runs(text, &PROJECT_INVESTED, clause_char, &["总投资"]) {
        let whole = caps.get(0).expect("group 0");
        let name = caps[1].to_string();
        if projects.insert(name.clone()) {
            out.projects.push(Project {
                investment_yuan: yuan(&caps[2], &caps[4]),
                investment_text: Some(format!(
                    "{}{}{}",
                    &caps[2],
                    caps.get(3).map_or("", |q| q.as_str()),
                    &caps[4]
                )),
                span: Some(span(text, whole.start(), whole.end())),
                name,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_organizations_villages() {
        let e = find("建成总投资4000余万元的形源坞水库，引进某某农业科技有限公司，凤新村和西美村。");
        assert_eq!(e.projects[0].name, "形源坞水库");
        assert_eq!(e.projects[0].investment_yuan, Some(4.0e7));
        assert_eq!(e.organizations[0].name, "某某农业科技有限公司");
        assert!(e.villages.iter().any(|v| v.name == "凤新村"));
    }
}
