//! Which township a document is from: the names it states, completed from
//! the national table; a blanked name identified from the villages it names;
//! never one of several same-named townships without evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use townreports_gazetteer::{Gazetteer, Level, Place, Query};
use townreports_proto::v1::Division;

/// Township-name cores that are also everyday words: a core alone (贵屿 for
/// 贵屿镇) is only trusted when it is not one of these.
const COMMON_CORES: &[&str] = &[
    "胜利", "和平", "团结", "新华", "红星", "前进", "太平", "兴隆", "城关", "城南", "城北", "城东", "城西", "东城",
    "西城", "新城", "中心", "工业", "开发", "经济", "发展", "建设", "人民", "文化", "光明", "幸福", "长安", "永安",
    "平安", "新民", "先锋", "东风", "红旗", "新村", "高新", "新区", "南山", "北山", "民主", "解放", "振兴", "繁荣",
    "富民", "利民", "安全", "和谐", "新兴", "复兴", "长兴", "中和",
];

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
    /// Lines that name the issuing body: meeting line, speaker, publisher, site name.
    pub issuers: Vec<&'a str>,
    pub placeholder: bool,
}

/// The division and its evidence.
pub fn resolve(inputs: &Inputs) -> Division {
    let g = Gazetteer::global();
    let scan = format!("{}\n{}", inputs.title, inputs.text);
    let mentions = g.find_places(&scan);
    let mut higher: BTreeMap<u8, BTreeSet<String>> = BTreeMap::new();
    for m in &mentions {
        let level = match m.level {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Township => continue,
        };
        higher.entry(level).or_default().extend(m.codes.iter().cloned());
    }
    let mut evidence = Vec::new();
    for caps in PROVINCE_ABBREVIATION.captures_iter(inputs.text) {
        higher
            .entry(2)
            .or_default()
            .insert(abbreviation_code(&caps[1]).to_string());
        evidence.push(format!("{} names the province", &caps[0]));
    }

    // Stated township names, strongest first.
    let mut scores: BTreeMap<String, (i32, Vec<String>)> = BTreeMap::new();
    for m in mentions.iter().filter(|m| m.level == Level::Township) {
        let entry = scores.entry(m.name.clone()).or_insert((0, m.codes.clone()));
        entry.0 += 1;
    }
    for (name, (score, _)) in scores.iter_mut() {
        if inputs.title.contains(name.as_str()) {
            *score += 5;
        }
        if inputs.issuers.iter().any(|l| l.contains(name.as_str())) {
            *score += 5;
        }
    }
    // A name the text mentions once in passing (a neighbouring town, a
    // project) is not the document's township: it must be in the title or
    // an issuer line, or recur.
    let mut ranked: Vec<(String, i32, Vec<String>)> = scores
        .into_iter()
        .filter(|(name, (score, _))| *score >= 2 || inputs.title.contains(name.as_str()))
        .filter(|(name, _)| {
            !inputs.placeholder
                || inputs.title.contains(name.as_str())
                || inputs.issuers.iter().any(|l| l.contains(name.as_str()))
        })
        .map(|(n, (s, c))| (n, s, c))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    if let Some((name, _, codes)) = ranked.first() {
        return stated(name, codes, &higher, inputs, evidence);
    }
    if let Some(division) = from_core(inputs, &higher, evidence.clone()) {
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

/// Narrows `codes` by the stated higher levels, ignoring statements that
/// would leave nothing (a document names other places too).
fn narrow(mut codes: Vec<String>, higher: &BTreeMap<u8, BTreeSet<String>>) -> Vec<String> {
    for level in [6u8, 4, 2] {
        if let Some(prefixes) = higher.get(&level) {
            let kept: Vec<String> = codes
                .iter()
                .filter(|c| prefixes.iter().any(|p| c.starts_with(p.as_str())))
                .cloned()
                .collect();
            if !kept.is_empty() {
                codes = kept;
            }
        }
    }
    codes
}

fn fill(division: &mut Division, place: &Place) {
    division.township = place.township.clone();
    division.county = place.county.clone();
    division.city = place.city.clone();
    division.province = place.province.clone();
    division.code = Some(place.code9());
}

fn stated(
    name: &str,
    codes: &[String],
    higher: &BTreeMap<u8, BTreeSet<String>>,
    inputs: &Inputs,
    mut evidence: Vec<String>,
) -> Division {
    let g = Gazetteer::global();
    let mut division = Division::default();
    evidence.push(format!("the text names {name}"));
    let codes = narrow(codes.to_vec(), higher);
    match codes.as_slice() {
        [code] => {
            let Some(place) = g.place(code) else {
                division.township = Some(name.to_string());
                division.resolution = "stated".into();
                return division;
            };
            fill(&mut division, &place);
            let county_core = place.county.as_deref().map(county_core).unwrap_or_default();
            let county_stated =
                !county_core.is_empty() && (inputs.text.contains(county_core) || inputs.title.contains(county_core));
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
            // stated, the rest would be a guess.
            division.township = Some(name.to_string());
            division.resolution = "stated".into();
            division.confidence = 0.5;
            evidence.push(format!("{} townships are named {name}; code left empty", many.len()));
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
fn from_core(inputs: &Inputs, higher: &BTreeMap<u8, BTreeSet<String>>, mut evidence: Vec<String>) -> Option<Division> {
    let g = Gazetteer::global();
    let suffix = own_suffix(inputs.text)?;
    // A document names itself early; the opening is enough and keeps huge
    // texts cheap.
    let chars: Vec<char> = inputs.text.chars().take(20_000).collect();
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
        let narrowed_by_place = higher
            .values()
            .flatten()
            .any(|p| codes.iter().all(|c| c.starts_with(p.as_str())));
        if let [code] = codes.as_slice()
            && narrowed_by_place
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

fn fill_province_only(division: &mut Division, higher: &BTreeMap<u8, BTreeSet<String>>) {
    let g = Gazetteer::global();
    if let Some(provinces) = higher.get(&2)
        && provinces.len() == 1
        && let Some(place) = provinces.iter().next().and_then(|p| g.place(p))
    {
        division.province = place.province;
    }
}

/// A blanked township: identified from its villages when they agree,
/// otherwise left empty (only a stated province is kept).
fn redacted(inputs: &Inputs, higher: &BTreeMap<u8, BTreeSet<String>>, mut evidence: Vec<String>) -> Division {
    let g = Gazetteer::global();
    let villages = village_names(inputs.text);
    let mut division = Division::default();
    let scope = Query {
        province: higher
            .get(&2)
            .filter(|p| p.len() == 1)
            .and_then(|p| p.iter().next())
            .and_then(|code| g.place(code))
            .and_then(|p| p.province),
        ..Default::default()
    };
    let names: Vec<&str> = villages.iter().map(String::as_str).collect();
    if let Some(inference) = g.infer_from_villages(&names, &scope) {
        fill(&mut division, &inference.place);
        division.resolution = "inferred".into();
        division.confidence = (0.5 + 0.1 * inference.villages.len() as f64).min(0.9);
        evidence.push(format!(
            "the name is blanked; villages {} all belong to {} ({})",
            inference.villages.join("、"),
            inference.place.township.as_deref().unwrap_or(""),
            inference.place.code9()
        ));
    } else {
        division.resolution = "redacted".into();
        evidence.push("the township's name is blanked and the villages named do not identify it".into());
        fill_province_only(&mut division, higher);
    }
    division.evidence = evidence;
    division
}

/// Village-level names in the text that exist in the national table.
pub fn village_names(text: &str) -> Vec<String> {
    let g = Gazetteer::global();
    let chars: Vec<char> = text.chars().collect();
    let mut found = BTreeSet::new();
    for (i, c) in chars.iter().enumerate() {
        let suffix_len = if *c == '村' {
            1
        } else if *c == '区' && i > 0 && chars[i - 1] == '社' {
            2
        } else {
            continue;
        };
        // The longest known name ending here, 2 to 5 characters before the suffix.
        for len in (2..=5).rev() {
            let Some(start) = (i + 1).checked_sub(len + suffix_len) else {
                continue;
            };
            let name: String = chars[start..=i].iter().collect();
            if name.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) && g.is_village_name(&name) {
                found.insert(name);
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
    fn a_blanked_name_is_inferred_from_villages_or_left_empty() {
        let text = "镇2023年工作总结。习近平总书记来粤视察。凤新村千亩水稻、凤港村蔬菜、西美村花卉、下陇村示范片。";
        let d = resolve(&inputs("镇2023年工作总结", text, true));
        assert_eq!(d.resolution, "inferred");
        assert_eq!(d.code.as_deref(), Some("440513107"));
        let d = resolve(&inputs("镇2023年工作总结", "镇始终坚持。来粤视察。", true));
        assert_eq!(
            (d.resolution.as_str(), d.township.as_deref(), d.province.as_deref()),
            ("redacted", None, Some("广东省"))
        );
    }
}
