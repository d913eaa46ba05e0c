//! Township entries on a county page: links whose text names a township
//! (仁美镇, 仁美镇人民政府, 青竹街道办事处), each resolved through the
//! gazetteer within the county; and, against the county's townships in the
//! national table, which the portal does not show.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use townreports_gazetteer::{Gazetteer, Level, Place, Query, Resolution};
use url::Url;

use crate::Anchor;

/// Words around a township's name in a link to it, outermost last.
const NAME_AFFIXES: &[&str] = &[
    "政府信息公开",
    "信息公开",
    "门户网站",
    "网站",
    "人民政府",
    "政府",
    "办事处",
];
/// The level words a township's name ends with.
const LEVEL_WORDS: &[&str] = &["镇", "乡", "街道", "苏木", "地区"];
/// Words of phrases that end like a township's name but are none
/// (新型城镇, 特色小镇, 乡镇动态); a real name with them is resolved anyway.
const PHRASE_WORDS: &[&str] = &["新型", "特色", "小镇", "乡镇", "城乡", "美丽", "建设", "振兴"];
/// Longer texts are headlines that happen to end in 镇 or 乡.
const MAX_NAME: usize = 12;

/// The county code is not one the national table knows as a county.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("{0:?} is not a county code of the national table (6 digits, like 511424)")]
    UnknownCounty(String),
}

/// A township found on the county's portal and resolved to its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownshipEntry {
    /// As the link names it, without 人民政府 and the like.
    pub name: String,
    /// 9 digits.
    pub code: String,
    /// Its own site, or its column on the county's platform.
    pub url: String,
}

/// A link that names a township the county's table does not settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unresolved {
    pub name: String,
    pub url: String,
    /// Why no code: not in the county, or several candidates (their codes).
    pub reason: String,
}

/// What one county page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountyFindings {
    pub townships: Vec<TownshipEntry>,
    pub unresolved: Vec<Unresolved>,
}

/// A county's findings against its townships in the national table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Townships of the county in the table.
    pub in_table: usize,
    /// Township links found on the portal, resolved or not.
    pub found: usize,
    pub resolved: usize,
    /// Townships of the table with no link on the portal.
    pub not_found: Vec<Place>,
}

/// The site id of a township found under the county site `county_id`.
pub fn township_site_id(county_id: &str, code: &str) -> String {
    format!("{county_id}-{code}")
}

/// The name of the township a link's text names, if it names one.
fn township_name(text: &str) -> Option<String> {
    let mut name = text
        .trim()
        .trim_matches(|c: char| c.is_whitespace() || "【】[]()（）·>".contains(c))
        .to_string();
    for affix in NAME_AFFIXES {
        if let Some(stripped) = name.strip_suffix(affix)
            && !stripped.is_empty()
        {
            name = stripped.to_string();
        }
    }
    let letters = name.chars().count();
    let han = name.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let level = LEVEL_WORDS
        .iter()
        .any(|w| name.strip_suffix(w).is_some_and(|core| !core.is_empty()));
    (han && level && letters <= MAX_NAME).then_some(name)
}

/// The township entries among a county page's `links`, each resolved
/// within the county `county_code`; a township linked twice is one entry
/// (its first link).
pub fn townships(county_code: &str, links: &[Anchor], g: &Gazetteer) -> Result<CountyFindings, DiscoveryError> {
    let county = g
        .place(county_code)
        .filter(|p| p.level() == Some(Level::County))
        .ok_or_else(|| DiscoveryError::UnknownCounty(county_code.into()))?;
    let scope = Query {
        township: None,
        county: county.county.clone(),
        city: county.city.clone(),
        province: county.province.clone(),
    };
    let mut findings = CountyFindings::default();
    let mut seen = HashSet::new();
    for link in links.iter().filter(|l| l.list) {
        let Some(name) = township_name(&link.text) else {
            continue;
        };
        if !seen.insert(name.clone()) {
            continue;
        }
        let url = link.url.to_string();
        match g.resolve(&scope.clone().township(name.clone())) {
            Resolution::Unique(place) if place.code.starts_with(county_code) && place.code.len() == 9 => {
                findings.townships.push(TownshipEntry {
                    name,
                    code: place.code,
                    url,
                })
            }
            _ if PHRASE_WORDS.iter().any(|w| name.contains(w)) => {}
            Resolution::Ambiguous(codes) => findings.unresolved.push(Unresolved {
                name,
                url,
                reason: format!("several townships of the county fit: {}", codes.join(", ")),
            }),
            _ => findings.unresolved.push(Unresolved {
                reason: format!(
                    "no township of {} has this name",
                    county.county.clone().unwrap_or_default()
                ),
                name,
                url,
            }),
        }
    }
    Ok(findings)
}

/// The findings of `county_code` against its townships in the table.
pub fn summarise(county_code: &str, findings: &CountyFindings, g: &Gazetteer) -> Summary {
    let resolved: HashSet<&str> = findings.townships.iter().map(|t| t.code.as_str()).collect();
    let in_table = g.townships_under(county_code);
    Summary {
        in_table: in_table.len(),
        found: findings.townships.len() + findings.unresolved.len(),
        resolved: findings.townships.len(),
        not_found: in_table
            .into_iter()
            .filter(|p| !resolved.contains(p.code.as_str()))
            .collect(),
    }
}

impl CountyFindings {
    /// The township whose entry page is `url`.
    pub fn entry_at(&self, url: &Url) -> Option<&TownshipEntry> {
        self.townships.iter().find(|t| t.url == url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(path: &str, text: &str) -> Anchor {
        Anchor {
            url: Url::parse("http://127.0.0.1:9/").unwrap().join(path).unwrap(),
            text: text.into(),
            list: true,
        }
    }

    #[test]
    fn township_links_are_found_and_resolved_within_the_county() {
        let g = Gazetteer::global();
        let links = [
            link("/xxgk/", "政府信息公开"),
            link("/xz/renmei/", "仁美镇人民政府"),
            link("/xz/yangchang/", "杨场镇"),
            link("/xz/yangchang2/", "杨场镇信息公开"),
            link("/xz/shuangqiao/", "双桥镇"),
            link("/news/", "新型城镇"),
        ];
        let found = townships("511424", &links, g).unwrap();
        let codes: Vec<_> = found
            .townships
            .iter()
            .map(|t| (t.name.as_str(), t.code.as_str()))
            .collect();
        assert_eq!(codes, [("仁美镇", "511424102"), ("杨场镇", "511424106")]);
        assert_eq!(found.townships[1].url, "http://127.0.0.1:9/xz/yangchang/");
        assert_eq!(found.unresolved.len(), 1, "{found:?}");
        assert_eq!(found.unresolved[0].name, "双桥镇");
        let summary = summarise("511424", &found, g);
        assert_eq!((summary.in_table, summary.found, summary.resolved), (5, 3, 2));
        assert_eq!(summary.not_found.len(), 3);
    }

    #[test]
    fn a_name_shared_with_another_county_is_this_countys() {
        let g = Gazetteer::global();
        let links = [link("/jinshan/", "金山镇")];
        let wutongqiao = townships("511112", &links, g).unwrap();
        let luojiang = townships("510604", &links, g).unwrap();
        assert!(wutongqiao.townships[0].code.starts_with("511112"));
        assert!(luojiang.townships[0].code.starts_with("510604"));
    }

    #[test]
    fn a_code_that_is_no_county_is_refused() {
        let g = Gazetteer::global();
        assert!(matches!(townships("51", &[], g), Err(DiscoveryError::UnknownCounty(_))));
        assert!(matches!(
            townships("519999", &[], g),
            Err(DiscoveryError::UnknownCounty(_))
        ));
    }
}
