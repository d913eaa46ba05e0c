//! How documents write division names, compared with the table's official
//! names: suffixes, short forms (长阳县 for 长阳土家族自治县, 四川 for 四川省)
//! and the cores that stay when a unit changes level (乡 → 镇 → 街道).
//!
//! Pure string functions; which forms are safe to look for in running text
//! is decided in `matcher`, which forms a query may use in `names`.

use std::borrow::Cow;

/// Township-level suffixes, longest first so that 街道办事处 wins over 办事处.
const TOWNSHIP_SUFFIXES: &[&str] = &["街道办事处", "街道", "地区", "办事处", "苏木", "镇", "乡"];

/// County-level suffixes, longest first.
const COUNTY_SUFFIXES: &[&str] = &["自治县", "自治旗", "林区", "特区", "县", "区", "市", "旗"];

/// Prefecture-level suffixes, longest first.
const CITY_SUFFIXES: &[&str] = &["自治州", "地区", "市", "盟"];

/// Province-level suffixes, longest first.
const PROVINCE_SUFFIXES: &[&str] = &["自治区", "省", "市"];

/// Ethnic group names as they appear in autonomous-area names, each
/// optionally followed by 族 (哈萨克自治县 and 哈萨克族自治县 both occur).
/// 各 is for 各族 (龙胜各族自治县).
const ETHNIC_GROUPS: &[&str] = &[
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "各",
];

/// A core shorter than this is a single character (张镇, 赵县), which in
/// running text is usually the end of another word (形成县域 holds 成县).
pub(crate) const MIN_CORE_CHARS: usize = 2;

/// Names longer than this are not division names; queries with them are
/// answered without work, whatever their size.
pub(crate) const MAX_NAME_CHARS: usize = 64;

/// Village-level suffix variants and their normalised form, longest first
/// within each family. Must stay identical to `VILLAGE_SUFFIXES` in
/// `tools/build_data.py`; the village tests check the data agrees.
const VILLAGE_SUFFIXES: &[(&str, &str)] = &[
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("村村民委员会", "村"),
    ("村村委会", "村"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("委员会", ""),
];

/// A name as written in a document, without the spaces that typesetting
/// puts inside short names (南 磨 房 乡), or `None` when it is too long to
/// be a division name.
pub(crate) fn clean(name: &str) -> Option<Cow<'_, str>> {
    // Borrowed when there is nothing to take out: names are looked up by
    // the thousand per document.
    let cleaned: Cow<'_, str> = if name.contains(char::is_whitespace) {
        Cow::Owned(name.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        Cow::Borrowed(name)
    };
    let chars = cleaned.chars().count();
    (chars > 0 && chars <= MAX_NAME_CHARS).then_some(cleaned)
}

fn strip_longest<'a>(name: &'a str, suffixes: &[&'static str]) -> Option<(&'a str, &'static str)> {
    suffixes
        .iter()
        .find_map(|suffix| Some((name.strip_suffix(suffix).filter(|core| !core.is_empty())?, *suffix)))
}

/// The township suffix of `name`, if it has a recognised one.
pub(crate) fn township_suffix(name: &str) -> Option<&'static str> {
    strip_longest(name, TOWNSHIP_SUFFIXES).map(|(_, suffix)| suffix)
}

/// The name without its township suffix: 南磨房乡 and 南磨房地区 share
/// 南磨房, a 镇 that became a 街道 keeps its core.
pub fn township_core(name: &str) -> &str {
    strip_longest(name, TOWNSHIP_SUFFIXES).map_or(name, |(core, _)| core)
}

/// Whether a table row named `row` and a document's `written` name with the
/// same core are the same unit by naming convention alone, without a county
/// to vouch for it: Beijing lists its 乡/镇 that double as 地区办事处 under the
/// 地区 name only, and 街道办事处 is the formal name of a 街道.
pub(crate) fn same_unit_by_convention(written: &str, row: &str) -> bool {
    matches!(
        (township_suffix(written), township_suffix(row)),
        (Some("乡" | "镇" | "地区"), Some("地区")) | (Some("街道办事处" | "街道"), Some("街道办事处" | "街道"))
    )
}

/// Byte positions `i` (on char boundaries) from which `s[i..]` is a run of
/// ethnic group names, each optionally followed by 族; computed from the end
/// so that any input takes linear time.
fn ethnic_tails(s: &str) -> Vec<bool> {
    let mut tail = vec![false; s.len() + 1];
    tail[s.len()] = true;
    for (i, _) in s.char_indices().rev() {
        tail[i] = ETHNIC_GROUPS.iter().any(|group| {
            s[i..].starts_with(group) && {
                let after = i + group.len();
                tail[after] || (s[after..].starts_with('族') && tail[after + '族'.len_utf8()])
            }
        });
    }
    tail
}

/// The place part of an autonomous area's name, if it has one of at least
/// [`MIN_CORE_CHARS`]: 长阳土家族 → 长阳, 巴里坤哈萨克 → 巴里坤,
/// 双江拉祜族佤族布朗族傣族 → 双江.
fn place_before_ethnic_groups(s: &str) -> Option<&str> {
    let tail = ethnic_tails(s);
    let split = s.char_indices().skip(MIN_CORE_CHARS).map(|(i, _)| i).find(|&i| tail[i]);
    split.map(|i| &s[..i])
}

/// The place part of an autonomous area's name; a name that is only an
/// ethnic group (鄂温克族, 东乡族) keeps the group without 族.
fn without_ethnic_groups(s: &str) -> &str {
    match place_before_ethnic_groups(s) {
        Some(place) => place,
        None if ethnic_tails(s)[0] => s.strip_suffix('族').unwrap_or(s),
        None => s,
    }
}

/// What documents print for an ethnic township (民族乡): 中建乡 for
/// 中建苗族彝族乡.
pub(crate) fn township_short(name: &str) -> Option<String> {
    let (stem, suffix) = strip_longest(name, &["镇", "乡"])?;
    if !stem.ends_with('族') {
        return None;
    }
    let place = place_before_ethnic_groups(stem)?;
    Some(format!("{place}{suffix}"))
}

/// A county-level name's core and suffix: 北仑区 → (北仑, 区),
/// 长阳土家族自治县 → (长阳, 自治县).
pub(crate) fn county_core(name: &str) -> Option<(&str, &'static str)> {
    let (stem, suffix) = strip_longest(name, COUNTY_SUFFIXES)?;
    let core = if suffix.starts_with("自治") {
        without_ethnic_groups(stem)
    } else {
        stem
    };
    Some((core, suffix))
}

/// What documents print for an autonomous county: 长阳县 for
/// 长阳土家族自治县, 莫力达瓦旗 for 莫力达瓦达斡尔族自治旗.
pub(crate) fn county_short(name: &str) -> Option<String> {
    let (core, suffix) = county_core(name)?;
    let level = suffix.strip_prefix("自治")?;
    Some(format!("{core}{level}"))
}

/// A prefecture's core: 乐山市 → 乐山, 恩施土家族苗族自治州 → 恩施,
/// 阿里地区 → 阿里, 兴安盟 → 兴安.
pub(crate) fn city_core(name: &str) -> Option<(&str, &'static str)> {
    let (stem, suffix) = strip_longest(name, CITY_SUFFIXES)?;
    let core = if suffix == "自治州" {
        without_ethnic_groups(stem)
    } else {
        stem
    };
    Some((core, suffix))
}

/// What documents print for a prefecture besides its full name: the core
/// (乐山), and for an autonomous prefecture also core + 州 (恩施州).
pub(crate) fn city_short_forms(name: &str) -> Vec<String> {
    match city_core(name) {
        Some((core, "自治州")) => vec![format!("{core}州"), core.to_string()],
        Some((core, _)) => vec![core.to_string()],
        None => Vec::new(),
    }
}

/// 四川 for 四川省, 北京 for 北京市, 广西 for 广西壮族自治区, 内蒙古 for
/// 内蒙古自治区.
pub(crate) fn province_short(name: &str) -> Option<&str> {
    let (stem, suffix) = strip_longest(name, PROVINCE_SUFFIXES)?;
    Some(if suffix == "自治区" {
        without_ethnic_groups(stem)
    } else {
        stem
    })
}

/// The name under which the table lists a village-level unit: 建新村委会 →
/// 建新村, 龙潭社区居民委员会 → 龙潭社区, 大桥居委会 → 大桥社区.
pub fn normalise_village(name: &str) -> Cow<'_, str> {
    VILLAGE_SUFFIXES
        .iter()
        .find_map(|(suffix, replacement)| {
            let stem = name.strip_suffix(suffix).filter(|stem| !stem.is_empty())?;
            Some(Cow::Owned(format!("{stem}{replacement}")))
        })
        .unwrap_or(Cow::Borrowed(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn township_cores_drop_the_level_word() {
        assert_eq!(township_core("南磨房地区"), "南磨房");
        assert_eq!(township_core("小港街道办事处"), "小港");
        assert_eq!(township_core("白音查干苏木"), "白音查干");
        assert_eq!(township_core("镇"), "镇", "a bare suffix is not a core");
        assert_eq!(township_core("桐湖"), "桐湖");
        assert!(same_unit_by_convention("南磨房乡", "南磨房地区"));
        assert!(same_unit_by_convention("小港街道办事处", "小港街道"));
        assert!(
            !same_unit_by_convention("太平乡", "太平镇"),
            "乡 and 镇 are different units"
        );
    }

    #[test]
    fn autonomous_names_lose_their_ethnic_groups() {
        assert_eq!(county_short("长阳土家族自治县").as_deref(), Some("长阳县"));
        assert_eq!(county_short("巴里坤哈萨克自治县").as_deref(), Some("巴里坤县"));
        assert_eq!(
            county_short("双江拉祜族佤族布朗族傣族自治县").as_deref(),
            Some("双江县")
        );
        assert_eq!(county_short("龙胜各族自治县").as_deref(), Some("龙胜县"));
        assert_eq!(county_short("三都水族自治县").as_deref(), Some("三都县"));
        assert_eq!(county_short("莫力达瓦达斡尔族自治旗").as_deref(), Some("莫力达瓦旗"));
        assert_eq!(county_short("鄂温克族自治旗").as_deref(), Some("鄂温克旗"));
        assert_eq!(county_short("东乡族自治县").as_deref(), Some("东乡县"));
        assert_eq!(township_short("中建苗族彝族乡").as_deref(), Some("中建乡"));
        assert_eq!(township_short("郎岱镇"), None);
        assert_eq!(township_short("回族乡"), None, "no place part");
        assert_eq!(
            county_short("北仑区"),
            None,
            "only autonomous counties have a short form"
        );
        assert_eq!(county_core("北仑区"), Some(("北仑", "区")));
        assert_eq!(city_short_forms("恩施土家族苗族自治州"), ["恩施州", "恩施"]);
        assert_eq!(city_short_forms("乐山市"), ["乐山"]);
        assert_eq!(city_short_forms("锡林郭勒盟"), ["锡林郭勒"]);
        assert_eq!(province_short("广西壮族自治区"), Some("广西"));
        assert_eq!(province_short("新疆维吾尔自治区"), Some("新疆"));
        assert_eq!(province_short("内蒙古自治区"), Some("内蒙古"));
        assert_eq!(province_short("西藏自治区"), Some("西藏"));
        assert_eq!(province_short("北京市"), Some("北京"));
    }

    #[test]
    fn ethnic_parsing_is_linear_on_hostile_input() {
        let long = "土家".repeat(200_000) + "自治县";
        assert!(county_short(&long).is_some());
        let noise = "族".repeat(300_000);
        assert_eq!(without_ethnic_groups(&noise), noise);
    }

    #[test]
    fn village_suffix_variants_meet() {
        assert_eq!(normalise_village("建新村委会"), "建新村");
        assert_eq!(normalise_village("经久村村民委员会"), "经久村");
        assert_eq!(normalise_village("南辛庄村民委员会"), "南辛庄村");
        assert_eq!(normalise_village("龙潭社区居民委员会"), "龙潭社区");
        assert_eq!(normalise_village("大桥居委会"), "大桥社区");
        assert_eq!(normalise_village("白沙社区"), "白沙社区");
        assert_eq!(normalise_village("委员会"), "委员会");
    }

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(clean(" 南 磨\u{3000}房乡 ").as_deref(), Some("南磨房乡"));
        assert_eq!(clean("  "), None);
        assert_eq!(clean(&"镇".repeat(MAX_NAME_CHARS + 1)), None);
    }
}
