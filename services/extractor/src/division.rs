//! Which township a document is from: the names it states, completed from
//! the national table; a blanked name identified from the villages it names;
//! never one of several same-named townships without evidence.
//!
//! A third of township names occur more than once, so the places above the
//! township that a document states matter — but only the document's own:
//! nearly every report of 2023–24 "learns from 浙江's 千万工程", and many
//! name the provinces they cooperate with or visit. Such mentions are no
//! evidence of where the document is from, and two stated places that fit
//! different candidates cancel out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use townreports_gazetteer::{Gazetteer, Level, Place, PlaceMention, Query};
use townreports_proto::v1::Division;

/// Township-name cores that are also everyday words: a core alone (贵屿 for
/// 贵屿镇) is only trusted when it is not one of these.
const COMMON_CORES: &[&str] = &[
    "胜利", "和平", "团结", "新华", "红星", "前进", "太平", "兴隆", "城关", "城南", "城北", "城东", "城西", "东城",
    "西城", "新城", "中心", "工业", "开发", "经济", "发展", "建设", "人民", "文化", "光明", "幸福", "长安", "永安",
    "平安", "新民", "先锋", "东风", "红旗", "新村", "高新", "新区", "南山", "北山", "民主", "解放", "振兴", "繁荣",
    "富民", "利民", "安全", "和谐", "新兴", "复兴", "长兴", "中和",
];

/// Words that make a place mentioned in the same clause someone else's:
/// learning from it, cooperating with it, travelling to it, bordering it.
const FOREIGN_CUES: &[&str] = &[
    "千万工程",
    "学习",
    "借鉴",
    "经验",
    "赴",
    "前往",
    "外出",
    "协作",
    "帮扶",
    "对口",
    "援",
    "结对",
    "兄弟",
    "周边",
    "相邻",
    "毗邻",
    "交界",
    "接壤",
    "客商",
    "籍",
];
/// Words that make a place in the same clause the document's own, whatever
/// else the clause says: the leader's visit, the provincial party committee.
const OWN_CUES: &[&str] = &["总书记", "省委", "市委", "县委", "区委"];

/// How much of a long text is scanned for place names: a document states
/// where it is from in its opening and sign-off.
const SCAN_OPENING: usize = 30_000;
const SCAN_ENDING: usize = 2_000;

/// One-character province abbreviations in phrases like 来川视察.
static PROVINCE_ABBREVIATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:来|到|在|入)(川|湘|赣|皖|鄂|豫|冀|鲁|晋|陕|陇|黔|滇|桂|粤|闽|浙|苏|沪|渝|蒙|辽|吉|黑|琼|藏|青|宁|新)(?:视察|考察|调研)").expect("static regex")
});

fn abbreviation_code(c: &str) -> &'static str {
    match c {
        "川" => "51",
        "湘" => "43",
        "赣" => "36",
        "皖" => "34",
        "鄂" => "42",
        "豫" => "41",
        "冀" => "13",
        "鲁" => "37",
        "晋" => "14",
        "陕" => "61",
        "陇" => "62",
        "黔" => "52",
        "滇" => "53",
        "桂" => "45",
        "粤" => "44",
        "闽" => "35",
        "浙" => "33",
        "苏" => "32",
        "沪" => "31",
        "渝" => "50",
        "蒙" => "15",
        "辽" => "21",
        "吉" => "22",
        "黑" => "23",
        "琼" => "46",
        "藏" => "54",
        "青" => "63",
        "宁" => "64",
        _ => "65",
    }
}

/// What the text says, for division resolution.
pub struct Inputs<'a> {
    pub title: &'a str,
    pub text: &'a str,
    /// Lines that name the issuing body: meeting line, speaker, publisher,
    /// site name, sign-off.
    pub issuers: Vec<&'a str>,
    pub placeholder: bool,
}

/// Places above the township the document states as its own, by level
/// (2 province, 4 city, 6 county) as code prefixes.
#[derive(Debug, Default)]
struct Higher {
    levels: BTreeMap<u8, BTreeSet<String>>,
}

impl Higher {
    fn add(&mut self, level: u8, codes: impl IntoIterator<Item = String>) {
        self.levels.entry(level).or_default().extend(codes);
    }

    /// How strongly the stated places support a township code: a county
    /// says more than a city, a city more than a province.
    fn support(&self, code: &str) -> u32 {
        self.levels
            .iter()
            .filter(|(_, prefixes)| prefixes.iter().any(|p| code.starts_with(p.as_str())))
            .map(|(level, _)| u32::from(*level / 2))
            .sum()
    }

    fn single_province(&self) -> Option<&String> {
        self.levels
            .get(&2)
            .filter(|p| p.len() == 1)
            .and_then(|p| p.iter().next())
    }
}

fn level_digits(level: Level) -> Option<u8> {
    match level {
        Level::Province => Some(2),
        Level::City => Some(4),
        Level::County => Some(6),
        Level::Township => None,
    }
}

/// The clause around chars `start..end` of `chars`: up to the nearest
/// sentence or clause mark, at most 24 characters each way.
fn clause_around(chars: &[char], start: usize, end: usize) -> String {
    let stop = |c: &char| matches!(c, '。' | '，' | ',' | '；' | ';' | '\n' | '：' | ':' | '！' | '？');
    let from = chars[..start.min(chars.len())]
        .iter()
        .rev()
        .take(24)
        .take_while(|c| !stop(c))
        .count();
    let to = chars[end.min(chars.len())..]
        .iter()
        .take(24)
        .take_while(|c| !stop(c))
        .count();
    chars[start - from..(end + to).min(chars.len())].iter().collect()
}

/// Whether a mention is of someone else's place (learnt from, visited,
/// bordering; one of a list of places: 南通、上海等地) rather than the
/// document's own.
fn foreign(chars: &[char], m: &PlaceMention) -> bool {
    let clause = clause_around(chars, m.start, m.end);
    let listed = (m.start > 0 && chars[m.start - 1] == '、') || chars.get(m.end) == Some(&'、');
    !OWN_CUES.iter().any(|w| clause.contains(w))
        && (FOREIGN_CUES.iter().any(|w| clause.contains(w)) || (listed && clause.contains('等')))
}

/// Whether a mention opens a company's name (湖南某某食品有限公司): firms
/// from anywhere invest in a township, so their names say nothing of where
/// the document is from.
fn names_a_company(chars: &[char], m: &PlaceMention) -> bool {
    let tail: String = chars[m.end.min(chars.len())..]
        .iter()
        .take(14)
        .take_while(|c| !matches!(c, '。' | '，' | ',' | '；' | '、' | '\n' | '：' | '（' | '('))
        .collect();
    COMPANY_WORDS.iter().any(|w| tail.contains(w))
}

/// What ends a company's name.
const COMPANY_WORDS: &[&str] = &["公司", "集团", "有限", "银行", "股份"];

/// The text resolution looks at: the title, the opening and the sign-off.
fn scan_text(inputs: &Inputs) -> String {
    let count = inputs.text.chars().count();
    let mut scan = format!("{}\n", inputs.title);
    if count <= SCAN_OPENING + SCAN_ENDING {
        scan.push_str(inputs.text);
    } else {
        scan.extend(inputs.text.chars().take(SCAN_OPENING));
        scan.push('\n');
        scan.extend(inputs.text.chars().skip(count - SCAN_ENDING));
    }
    scan
}

/// Township names that are everyday words too.
const EVERYDAY_NAMES: &[&str] = &["小城镇", "中心镇", "新城镇", "城关镇", "工业园区", "开发区"];

/// The places above the township the document states as its own — in its
/// text (but not those named as someone else's), in its issuers' lines and
/// as province abbreviations — and the evidence of what was set aside.
fn higher_places(inputs: &Inputs, scan: &str, mentions: &[PlaceMention]) -> (Higher, Vec<String>) {
    let g = Gazetteer::global();
    let chars: Vec<char> = scan.chars().collect();
    let mut higher = Higher::default();
    let mut evidence = Vec::new();
    for m in mentions {
        let Some(level) = level_digits(m.level) else { continue };
        if names_a_company(&chars, m) {
            evidence.push(format!("{} is part of a company's name", m.name));
        } else if foreign(&chars, m) {
            evidence.push(format!("{} is named as someone else's place", m.name));
        } else {
            higher.add(level, m.codes.iter().cloned());
        }
    }
    // What the issuing body calls itself (某市某区某镇人民政府) is the document's own.
    for line in &inputs.issuers {
        for m in g.find_places(line) {
            if let Some(level) = level_digits(m.level) {
                higher.add(level, m.codes);
            }
        }
    }
    for caps in PROVINCE_ABBREVIATION.captures_iter(scan) {
        higher.add(2, [abbreviation_code(&caps[1]).to_string()]);
        evidence.push(format!("{} names the province", &caps[0]));
    }
    (higher, evidence)
}

/// Township names the text states, strongest first, with their codes: a
/// mention counts once, the title or an issuer line five times.
fn ranked_townships(inputs: &Inputs, mentions: &[PlaceMention]) -> Vec<(String, i32, Vec<String>)> {
    let mut scores: BTreeMap<String, (i32, Vec<String>)> = BTreeMap::new();
    for m in mentions.iter().filter(|m| m.level == Level::Township) {
        let entry = scores.entry(m.name.clone()).or_insert((0, m.codes.clone()));
        entry.0 += 1;
    }
    let in_title = |name: &str| inputs.title.contains(name);
    let in_issuer = |name: &str| inputs.issuers.iter().any(|l| l.contains(name));
    for (name, (score, _)) in scores.iter_mut() {
        if in_title(name) {
            *score += 5;
        }
        if in_issuer(name) {
            *score += 5;
        }
    }
    // A name the text mentions once in passing (a neighbouring town, a
    // project) is not the document's township: it must be in the title or
    // an issuer line, or recur.
    let mut ranked: Vec<(String, i32, Vec<String>)> = scores
        .into_iter()
        .filter(|(name, (score, _))| *score >= 2 || in_title(name))
        // 小城镇建设 is town planning, not 小城镇 of 舒兰市, unless the title
        // or the issuer says so.
        .filter(|(name, _)| !EVERYDAY_NAMES.contains(&name.as_str()) || in_title(name) || in_issuer(name))
        .filter(|(name, _)| !inputs.placeholder || in_title(name) || in_issuer(name))
        .map(|(n, (s, c))| (n, s, c))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

/// The division and its evidence: the township the text states, else the
/// one its recurring core name gives, else (for a masked report) what the
/// unmasked places say, else the province alone.
pub fn resolve(inputs: &Inputs) -> Division {
    let scan = scan_text(inputs);
    let mentions = Gazetteer::global().find_places(&scan);
    let (higher, evidence) = higher_places(inputs, &scan, &mentions);
    if let Some((name, _, codes)) = ranked_townships(inputs, &mentions).first() {
        return stated(name, codes, &higher, inputs, evidence);
    }
    // A masked report's recurring words are its slogans, not its name.
    if !inputs.placeholder
        && let Some(division) = from_core(inputs, &higher, evidence.clone())
    {
        return division;
    }
    if inputs.placeholder {
        return redacted(inputs, &higher, evidence);
    }
    let mut division = Division {
        resolution: "unknown".into(),
        evidence,
        ..Default::default()
    };
    fill_province_only(&mut division, &higher);
    division
}

/// Whether the title or the text names any unit of the national table.
pub fn names_a_place(title: &str, text: &str) -> bool {
    let scan = scan_text(&Inputs {
        title,
        text,
        issuers: Vec::new(),
        placeholder: false,
    });
    !Gazetteer::global().find_places(&scan).is_empty()
}

/// The township of the site the page was published on (`code`, 9 digits:
/// a township found on its county's portal, or given in the sites file),
/// for a text that leaves its township open: it names none, or a name
/// several townships share. A text that settles another township, or
/// states a place the site's township is not in, keeps its own answer.
pub fn with_site_hint(mut division: Division, code: &str) -> Division {
    let settled = division
        .code
        .as_deref()
        .is_some_and(|c| c.len() == 9 && !c.ends_with("000"));
    let Some(place) = Gazetteer::global().place(code).filter(|p| p.code.len() == 9) else {
        return division;
    };
    let stated = division.code.as_deref().map_or("", |c| c.trim_end_matches('0'));
    let agrees = code.starts_with(stated)
        && division
            .township
            .as_ref()
            .is_none_or(|t| place.township.as_ref() == Some(t));
    if settled || !agrees {
        return division;
    }
    fill(&mut division, &place);
    division.resolution = "site".into();
    division.confidence = 0.8;
    division.evidence.push(format!(
        "the site it was published on is {}'s ({code})",
        place.township.as_deref().unwrap_or("?")
    ));
    division
}

/// The candidates the stated places support best; all of them when no
/// stated place fits any. Ties stay: two candidates as well supported are
/// not told apart.
fn narrow(codes: Vec<String>, higher: &Higher) -> Vec<String> {
    let best = codes.iter().map(|c| higher.support(c)).max().unwrap_or(0);
    if best == 0 {
        return codes;
    }
    codes.into_iter().filter(|c| higher.support(c) == best).collect()
}

fn fill(division: &mut Division, place: &Place) {
    division.township = place.township.clone();
    division.county = place.county.clone();
    division.city = place.city.clone();
    division.province = place.province.clone();
    division.code = Some(place.code9());
}

/// What all `codes` share: the county, city or province every candidate
/// lies in is certain even when the township is not.
fn fill_common(division: &mut Division, codes: &[String]) -> Option<String> {
    let g = Gazetteer::global();
    for len in [6, 4, 2] {
        let prefix = codes.first()?.get(..len)?;
        if codes.iter().all(|c| c.starts_with(prefix))
            && let Some(place) = g.place(prefix)
        {
            division.county = place.county;
            division.city = place.city;
            division.province = place.province;
            return Some(prefix.to_string());
        }
    }
    None
}

/// The one candidate whose villages the text names, when the village vote
/// picks one of them.
fn by_villages(text: &str, codes: &[String]) -> Option<(String, Vec<String>)> {
    let villages = village_names(text);
    let names: Vec<&str> = villages.iter().map(String::as_str).collect();
    let inference = Gazetteer::global().infer_from_villages(&names, &Query::default())?;
    codes
        .contains(&inference.place.code)
        .then_some((inference.place.code, inference.villages))
}

fn stated(name: &str, codes: &[String], higher: &Higher, inputs: &Inputs, mut evidence: Vec<String>) -> Division {
    let g = Gazetteer::global();
    let mut division = Division::default();
    evidence.push(format!("the text names {name}"));
    let mut codes = narrow(codes.to_vec(), higher);
    if codes.len() > 1
        && let Some((code, villages)) = by_villages(inputs.text, &codes)
    {
        evidence.push(format!(
            "of the {} named {name}, only one holds {}",
            codes.len(),
            villages.join("、")
        ));
        codes = vec![code];
    }
    match codes.as_slice() {
        [code] => {
            let Some(place) = g.place(code) else {
                division.township = Some(name.to_string());
                division.resolution = "stated".into();
                division.evidence = evidence;
                return division;
            };
            fill(&mut division, &place);
            let county_core = place.county.as_deref().map(county_core).unwrap_or_default();
            let county_stated = !county_core.is_empty()
                && (inputs.text.contains(county_core)
                    || inputs.title.contains(county_core)
                    || inputs.issuers.iter().any(|l| l.contains(county_core)));
            division.resolution = if county_stated { "stated" } else { "gazetteer" }.into();
            division.confidence = if county_stated { 0.95 } else { 0.85 };
            evidence.push(format!(
                "national table: {} {} {} {} {}",
                place.code9(),
                place.province.as_deref().unwrap_or(""),
                place.city.as_deref().unwrap_or(""),
                place.county.as_deref().unwrap_or(""),
                place.township.as_deref().unwrap_or("")
            ));
        }
        many => {
            // Named, but several townships have that name: the name is
            // stated, and what they all share; the rest would be a guess.
            division.township = Some(name.to_string());
            division.resolution = "stated".into();
            division.confidence = 0.5;
            evidence.push(format!("{} townships are named {name}; code left empty", many.len()));
            if let Some(prefix) = fill_common(&mut division, many) {
                evidence.push(format!("all of them lie in {prefix}"));
            }
        }
    }
    division.evidence = evidence;
    division
}

/// 汨罗 for 汨罗市, 长阳 for 长阳土家族自治县.
fn county_core(county: &str) -> &str {
    let core = county.trim_end_matches(['县', '区', '市', '旗']);
    let chars: Vec<(usize, char)> = core.char_indices().collect();
    if county.contains("自治") && chars.len() > 2 {
        &core[..chars[2].0]
    } else {
        core
    }
}

/// The level word the document uses for itself (全镇, 我乡, 街道办事处).
fn own_suffix(text: &str) -> Option<&'static str> {
    let count = |words: &[&str]| words.iter().map(|w| text.matches(w).count()).sum::<usize>();
    let counts = [
        ("镇", count(&["全镇", "我镇", "本镇", "镇人民政府", "镇党委"])),
        ("乡", count(&["全乡", "我乡", "本乡", "乡人民政府", "乡党委"])),
        (
            "街道",
            count(&["街道办事处", "全街道", "街道党工委", "我街道", "本街道"]),
        ),
    ];
    counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map(|(s, _)| s)
}

/// A township named only by its core (幸福贵屿, 贵屿发展进程), trusted when the
/// core appears at least twice, is not an everyday word, and with the
/// document's own level word and stated places fits exactly one township.
fn from_core(inputs: &Inputs, higher: &Higher, mut evidence: Vec<String>) -> Option<Division> {
    let g = Gazetteer::global();
    // A document names itself early; the opening is enough and keeps huge
    // texts cheap.
    let opening: String = inputs.text.chars().take(20_000).collect();
    let suffix = own_suffix(&opening)?;
    let chars: Vec<char> = opening.chars().collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for len in [2usize, 3] {
        for window in chars.windows(len) {
            let core: String = window.iter().collect();
            if !window.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c)) || COMMON_CORES.contains(&core.as_str()) {
                continue;
            }
            *counts.entry(core).or_default() += 1;
        }
    }
    let mut found: Vec<(String, Place)> = Vec::new();
    for (core, n) in counts {
        if n < 2 {
            continue;
        }
        let full = format!("{core}{suffix}");
        let places: Vec<Place> = g
            .townships_with_core(&core)
            .into_iter()
            .filter(|p| p.township.as_deref() == Some(full.as_str()))
            .collect();
        let codes = narrow(places.iter().map(|p| p.code.clone()).collect(), higher);
        // A stated place must back the core: a two-character word that
        // happens to be some township's core is no evidence alone.
        if let [code] = codes.as_slice()
            && higher.support(code) > 0
            && let Some(place) = g.place(code)
        {
            found.push((core, place));
        }
    }
    // Two different cores fitting is no evidence for either.
    let [(core, place)] = found.as_slice() else { return None };
    let mut division = Division::default();
    fill(&mut division, place);
    division.resolution = "gazetteer".into();
    division.confidence = 0.7;
    evidence.push(format!(
        "the text calls itself {core} ({suffix}); with the places it names, only {} fits",
        place.code9()
    ));
    division.evidence = evidence;
    Some(division)
}

fn fill_province_only(division: &mut Division, higher: &Higher) {
    if let Some(place) = higher.single_province().and_then(|p| Gazetteer::global().place(p)) {
        division.province = place.province;
    }
}

/// A blanked township stays blank: the labels (and a reader) take a
/// masked name as unnamed, and a code filled from a guess would be a wrong
/// value nobody can tell from a right one. When the villages it names all
/// belong to one township, the evidence says which, as a lead to check;
/// only a stated province is filled.
fn redacted(inputs: &Inputs, higher: &Higher, mut evidence: Vec<String>) -> Division {
    let g = Gazetteer::global();
    let villages = village_names(inputs.text);
    let scope = Query {
        province: higher
            .single_province()
            .and_then(|code| g.place(code))
            .and_then(|p| p.province),
        ..Default::default()
    };
    let names: Vec<&str> = villages.iter().map(String::as_str).collect();
    match g.infer_from_villages(&names, &scope) {
        Some(inference) => evidence.push(format!(
            "the name is blanked; villages {} all belong to {} ({}), not filled in as unstated",
            inference.villages.join("、"),
            inference.place.township.as_deref().unwrap_or(""),
            inference.place.code9()
        )),
        None => evidence.push("the township's name is blanked and the villages named do not identify it".into()),
    }
    let mut division = Division {
        resolution: "redacted".into(),
        evidence,
        ..Default::default()
    };
    fill_province_only(&mut division, higher);
    division
}

/// Village-level names in the text that exist in the national table.
pub fn village_names(text: &str) -> Vec<String> {
    let g = Gazetteer::global();
    let mut found = BTreeSet::new();
    // Villages are named throughout a report; the byte offsets of the last
    // few characters keep this linear and free of allocation, the name
    // being a slice of the text.
    let mut starts = [0usize; 8];
    let mut seen = 0usize;
    let mut previous = '\0';
    for (at, c) in text.char_indices() {
        starts[seen % starts.len()] = at;
        seen += 1;
        let suffix_len = match c {
            '村' => 1,
            '区' if previous == '社' => 2,
            _ => {
                previous = c;
                continue;
            }
        };
        previous = c;
        let end = at + c.len_utf8();
        // The longest known name ending here, 2 to 5 characters before the suffix.
        for len in (2..=5).rev() {
            let chars = len + suffix_len;
            if chars > seen.min(starts.len()) {
                continue;
            }
            let name = &text[starts[(seen - chars) % starts.len()]..end];
            if name.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) && g.is_village_name(name) {
                found.insert(name.to_string());
                break;
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(title: &'a str, text: &'a str, placeholder: bool) -> Inputs<'a> {
        Inputs {
            title,
            text,
            issuers: Vec::new(),
            placeholder,
        }
    }

    #[test]
    fn a_stated_chain_is_stated() {
        let line = "在甘肃省白银市会宁县汉家岔镇第十八届人民代表大会上";
        let d = resolve(&Inputs {
            issuers: vec![line],
            ..inputs("甲", line, false)
        });
        assert_eq!(d.code.as_deref(), Some("620422108"));
        assert_eq!(d.resolution, "stated");
    }

    #[test]
    fn a_repeated_name_without_a_county_keeps_only_the_name() {
        let d = resolve(&inputs("城关镇2023年工作总结", "全镇上下", false));
        assert_eq!(
            resolve(&inputs("工作总结", "与相邻的汉家岔镇合作", false)).township,
            None,
            "a passing mention"
        );
        assert_eq!(d.township.as_deref(), Some("城关镇"));
        assert_eq!(d.code, None);
        assert_eq!(d.county, None);
    }

    #[test]
    fn a_stated_province_shared_by_every_candidate_is_kept() {
        let d = resolve(&inputs(
            "城关镇2023年工作总结",
            "全镇深入学习贯彻习近平总书记视察河南重要讲话精神。",
            false,
        ));
        assert_eq!(
            (d.township.as_deref(), d.province.as_deref(), d.code),
            (Some("城关镇"), Some("河南省"), None)
        );
    }

    #[test]
    fn someone_elses_province_is_no_evidence() {
        // 花桥镇 is in 浙江 among others: learning from 浙江 does not place it there.
        let d = resolve(&inputs(
            "花桥镇2023年工作总结",
            "全镇深入学习运用浙江“千万工程”经验，推进乡村振兴。",
            false,
        ));
        assert_eq!(
            (d.township.as_deref(), d.province, d.code),
            (Some("花桥镇"), None, None)
        );
    }

    #[test]
    fn a_company_or_a_list_of_destinations_names_no_province() {
        let unplaced = |text: &str| resolve(&inputs("某镇2023年工作总结", text, false));
        for text in [
            "引进湖南鸭当家食品有限公司，建成天麻种植基地。",
            "招商主攻江阴、昆山、南通、上海等长三角地区。",
        ] {
            let d = unplaced(text);
            assert_eq!(d.province, None, "{text}: {:?}", d.evidence);
        }
        // The province the leader visited is the document's own.
        assert_eq!(
            unplaced("深入贯彻习近平总书记考察湖南重要讲话精神。")
                .province
                .as_deref(),
            Some("湖南省")
        );
    }

    #[test]
    fn a_named_county_or_the_villages_settle_a_repeated_name() {
        let d = resolve(&inputs("白果乡2023年工作总结", "在恩施市委、市政府的坚强领导下", false));
        assert_eq!(d.code.as_deref(), Some("422801206"));
        let d = resolve(&inputs(
            "白果乡2023年工作总结",
            "完成见天坝村、金龙坝村、油竹坪村通组公路硬化。",
            false,
        ));
        assert_eq!(d.code.as_deref(), Some("422801206"));
    }

    #[test]
    fn a_blanked_name_stays_blank_with_its_villages_as_a_lead() {
        let text = "镇2023年工作总结。习近平总书记来粤视察。凤新村千亩水稻、凤港村蔬菜、西美村花卉、下陇村示范片。";
        let d = resolve(&inputs("镇2023年工作总结", text, true));
        assert_eq!(
            (
                d.resolution.as_str(),
                d.township.as_deref(),
                d.code.as_deref(),
                d.province.as_deref()
            ),
            ("redacted", None, None, Some("广东省"))
        );
        assert!(d.evidence.iter().any(|e| e.contains("(440513107)")), "{:?}", d.evidence);
        let d = resolve(&inputs("镇2023年工作总结", "镇始终坚持。来粤视察。", true));
        assert_eq!(
            (d.resolution.as_str(), d.township.as_deref(), d.province.as_deref()),
            ("redacted", None, Some("广东省"))
        );
    }
}
