//! The gazetteer's public behaviour on the real embedded table.

use townreports_gazetteer::{Gazetteer, Level, PlaceMention, Query, Resolution};

fn g() -> &'static Gazetteer {
    Gazetteer::global()
}

fn unique(query: &Query) -> String {
    match g().resolve(query) {
        Resolution::Unique(place) => place.code,
        other => panic!("{query:?} gave {other:?}"),
    }
}

fn ambiguous(query: &Query) -> usize {
    match g().resolve(query) {
        Resolution::Ambiguous(codes) => codes.len(),
        other => panic!("{query:?} gave {other:?}"),
    }
}

fn q() -> Query {
    Query::default()
}

#[test]
fn codes_give_full_chains_at_every_level() {
    let p = g().place("330206003").unwrap();
    assert_eq!(
        (
            p.township.as_deref(),
            p.county.as_deref(),
            p.city.as_deref(),
            p.province.as_deref()
        ),
        (Some("小港街道"), Some("北仑区"), Some("宁波市"), Some("浙江省"))
    );
    assert_eq!(p.level(), Some(Level::Township));
    let county = g().place("330206").unwrap();
    assert_eq!(
        (county.township.as_deref(), county.county.as_deref()),
        (None, Some("北仑区"))
    );
    assert_eq!(county.code9(), "330206000");
    assert_eq!(g().place("3302").unwrap().city.as_deref(), Some("宁波市"));
    assert_eq!(g().place("33").unwrap().province.as_deref(), Some("浙江省"));
    // A county governed by its province has no city.
    let p = g().place("429004001").unwrap();
    assert_eq!(
        (p.county.as_deref(), p.city, p.province.as_deref()),
        (Some("仙桃市"), None, Some("湖北省"))
    );
    for bad in ["", "999999999", "33020600", "一二三", "3302060031", "33020６003"] {
        assert_eq!(g().place(bad), None, "{bad:?}");
    }
}

#[test]
fn a_municipality_is_both_city_and_province() {
    let p = g().place("110105021").unwrap();
    assert_eq!(
        (p.county.as_deref(), p.city.as_deref(), p.province.as_deref()),
        (Some("朝阳区"), Some("北京市"), Some("北京市"))
    );
    // Chongqing's counties hang under a row named 县.
    let p = g().place("500233001").unwrap();
    assert_eq!((p.county.as_deref(), p.city.as_deref()), (Some("忠县"), Some("重庆市")));
    assert_eq!(g().place("11").unwrap().city.as_deref(), Some("北京市"));
    // 北京 as a city, as a province, or both.
    for query in [
        q().city("北京"),
        q().province("北京市"),
        q().city("北京市").province("北京"),
    ] {
        assert_eq!(unique(&query.county("朝阳区")), "110105");
    }
    assert_eq!(unique(&q().city("北京")), "11");
}

#[test]
fn unique_names_resolve_and_repeated_ones_need_a_county() {
    assert_eq!(unique(&q().township("汉家岔镇")), "620422108");
    assert!(ambiguous(&q().township("城关镇")) > 50);
    // A province narrows a repeated name but need not settle it.
    assert_eq!(ambiguous(&q().township("城关镇").province("河南")), 23);
    assert_eq!(
        unique(&q().township("城关镇").province("河南").county("嵩县")),
        "410325100"
    );
    assert_eq!(unique(&q().township("城关镇").county("嵩县")), "410325100");
    // A city settles 人和镇 here.
    assert!(ambiguous(&q().township("人和镇")) > 1);
    let code = unique(&q().township("人和镇").city("广州"));
    assert_eq!(g().place(&code).unwrap().county.as_deref(), Some("白云区"));
}

#[test]
fn contradictions_and_unknown_names_find_nothing() {
    for query in [
        q().township("汉家岔镇").province("四川"),
        q().township("汉家岔镇").county("没有县"),
        q().township("不存在镇"),
        q().township("   "),
        q().township("镇".repeat(100_000)),
        q().county("城区").city("乐山"),
        q(),
    ] {
        assert_eq!(g().resolve(&query), Resolution::NotFound, "{query:?}");
    }
    // Typeset spaces are not part of a name.
    assert_eq!(unique(&q().township("汉 家 岔 镇")), "620422108");
}

#[test]
fn beijing_lists_its_townships_under_their_district_names() {
    // 南磨房乡 is in the table only as 南磨房地区.
    assert_eq!(unique(&q().township("南磨房乡").county("朝阳区")), "110105021");
    assert_eq!(unique(&q().township("南磨房乡")), "110105021");
    assert_eq!(unique(&q().township("南磨房地区").city("北京")), "110105021");
}

#[test]
fn a_stated_county_lets_the_core_name_survive_a_change_of_level() {
    // 仙桃市's 沙嘴街道 written as the 镇 it once was: only with its county.
    assert_eq!(g().resolve(&q().township("沙嘴镇")), Resolution::NotFound);
    assert_eq!(unique(&q().township("沙嘴镇").county("仙桃市")), "429004001");
    // A county-level city stated as the city narrows as the county.
    assert_eq!(unique(&q().township("沙嘴街道").city("仙桃市")), "429004001");
    // 街道办事处 is the formal name of a 街道, county or not.
    assert_eq!(unique(&q().township("沙嘴街道办事处")), "429004001");
}

#[test]
fn counties_resolve_from_short_forms() {
    for written in ["长阳土家族自治县", "长阳县", "长阳"] {
        assert_eq!(unique(&q().county(written).province("湖北")), "420528", "{written}");
    }
    assert_eq!(unique(&q().township("龙舟坪镇").county("长阳县")), "420528101");
    assert_eq!(unique(&q().township("中建乡").county("黔西市")), "520581206");
    // A county that has since become a district or city keeps its core.
    assert_eq!(unique(&q().county("北仑县").city("宁波市")), "330206");
    assert_eq!(unique(&q().city("恩施州")), "4228");
    assert_eq!(unique(&q().city("恩施")), "4228");
    assert_eq!(unique(&q().province("广西")), "45");
    assert_eq!(unique(&q().province("内蒙古")), "15");
    assert!(ambiguous(&q().county("朝阳区")) == 2, "Beijing and Changchun");
}

#[test]
fn villages_vote_for_a_blanked_township() {
    let got = g()
        .infer_from_villages(&["李家村", "学堂村", "顺利村", "鼎新村"], &Query::default())
        .unwrap();
    assert_eq!(got.place.code, "510321107");
    // 李家村 (170 townships) is too common to vote.
    assert_eq!(got.villages, ["学堂村", "顺利村", "鼎新村"]);
    assert!(got.runner_up <= 1);
    // Suffix variants are the same names; a matching scope changes nothing.
    let scope = Query::default().province("四川").city("自贡市");
    let got = g()
        .infer_from_villages(&["学堂村村民委员会", "顺利村委会", "鼎新村"], &scope)
        .unwrap();
    assert_eq!(got.place.code, "510321107");
}

#[test]
fn villages_refuse_one_name_a_tie_or_a_scope_that_excludes_them() {
    let none = |villages: &[&str], scope: Query| g().infer_from_villages(villages, &scope);
    assert_eq!(none(&["鼎新村"], q()), None, "one name never decides");
    assert_eq!(
        none(&["鼎新村", "鼎新村村委会"], q()),
        None,
        "one name twice is one name"
    );
    assert_eq!(none(&["和平村", "团结村"], q()), None, "common names say nothing");
    assert_eq!(none(&["学堂村", "顺利村", "鼎新村"], q().province("广东")), None);
    assert_eq!(none(&["学堂村", "顺利村", "鼎新村"], q().province("火星")), None);
    assert_eq!(none(&[], q()), None);
    assert!(g().is_village_name("鼎新村") && g().is_village_name("鼎新村村民委员会"));
    assert!(!g().is_village_name("不存在村") && !g().is_village_name(""));
}

#[test]
fn a_tie_between_townships_is_refused_until_a_scope_breaks_it() {
    // 七坝村 and 八坝村 are both in 620321108 (金昌) and in 620724104 (张掖).
    let villages = ["七坝村", "八坝村"];
    assert_eq!(g().infer_from_villages(&villages, &q().province("甘肃")), None);
    let got = g().infer_from_villages(&villages, &q().city("金昌")).unwrap();
    assert_eq!((got.place.code.as_str(), got.runner_up), ("620321108", 0));
}

fn mentions(text: &str) -> Vec<(String, Level, usize, usize)> {
    g().find_places(text)
        .into_iter()
        .map(
            |PlaceMention {
                 name,
                 level,
                 start,
                 end,
                 ..
             }| (name, level, start, end),
        )
        .collect()
}

#[test]
fn places_are_found_with_char_offsets() {
    let text = "在宁波市北仑区小港街道工作会议上";
    let found = g().find_places(text);
    let names: Vec<(&str, Level, usize, usize)> = found
        .iter()
        .map(|m| (m.name.as_str(), m.level, m.start, m.end))
        .collect();
    assert_eq!(
        names,
        [
            ("宁波市", Level::City, 1, 4),
            ("北仑区", Level::County, 4, 7),
            ("小港街道", Level::Township, 7, 11)
        ]
    );
    assert_eq!(found[2].codes, ["330206003"]);
    let chars: Vec<char> = text.chars().collect();
    for m in &found {
        assert_eq!(chars[m.start..m.end].iter().collect::<String>(), m.name);
    }
    // ASCII and four-byte characters before a name shift bytes, not chars.
    let found = mentions("2023年𠀀abc北仑区");
    assert_eq!(found, [("北仑区".to_string(), Level::County, 9, 12)]);
}

#[test]
fn short_forms_that_are_safe_in_text_are_found() {
    let found = mentions("四川和恩施州的长阳县，南磨房乡，北京");
    assert_eq!(
        found,
        [
            ("四川".into(), Level::Province, 0, 2),
            ("恩施州".into(), Level::City, 3, 6),
            ("长阳县".into(), Level::County, 7, 10),
            ("南磨房乡".into(), Level::Township, 11, 15),
            ("北京".into(), Level::Province, 16, 18),
            ("北京".into(), Level::City, 16, 18),
        ]
    );
    // An ethnic township (民族乡) without its ethnic groups.
    assert_eq!(mentions("中建乡")[0].0, "中建乡");
    assert_eq!(g().find_places("中建乡")[0].codes, ["520581206"]);
    let beijing = g().find_places("南磨房乡");
    assert_eq!(beijing[0].codes, ["110105021"]);
}

#[test]
fn words_that_only_look_like_places_are_not_found() {
    // 成县, 城区, 新城区, 大同 and 街道 are all division names somewhere.
    for text in [
        "形成县域经济",
        "中心城区",
        "推进新城区建设",
        "世界大同",
        "街道办",
        "乡镇",
        "大同小异",
        "发展乡村旅游",
        "发展乡镇企业",
        "汉山西路",
        "四川路",
    ] {
        assert_eq!(mentions(text), [], "{text}");
    }
    assert_eq!(mentions("发展乡人民政府")[0].0, "发展乡");
    assert_eq!(mentions("天津市河北区").last().map(|m| m.0.as_str()), Some("河北区"));
    assert_eq!(
        mentions("京津冀与河北区域协同"),
        [("河北".into(), Level::Province, 4, 6)]
    );
    assert_eq!(mentions("河南县乡两级"), [("河南".into(), Level::Province, 0, 2)]);
    assert_eq!(mentions("长沙县人民政府")[0].0, "长沙县");
    assert_eq!(
        mentions("长沙县域经济"),
        [],
        "长沙 + 县域: the city's counties, and 长沙 alone is no safe name"
    );
    // With their parent's name in front, the same names count.
    assert_eq!(
        mentions("自贡市荣县"),
        [
            ("自贡市".into(), Level::City, 0, 3),
            ("荣县".into(), Level::County, 3, 5)
        ]
    );
    let found = g().find_places("乐山市市中区");
    assert_eq!(
        found.last().map(|m| (m.name.as_str(), m.codes.clone())),
        Some(("市中区", vec!["511102".into()]))
    );
}

#[test]
fn huge_and_odd_texts_are_read_in_one_pass() {
    let text = "四川省".repeat(200_000) + &"\u{FFFD}x\0".repeat(100_000);
    let found = g().find_places(&text);
    assert_eq!(found.len(), 200_000);
    assert_eq!(found.last().map(|m| m.end), Some(600_000));
    assert_eq!(mentions(""), []);
}

#[test]
fn townships_are_listed_by_core() {
    let codes: Vec<String> = g().townships_with_core("南磨房").into_iter().map(|p| p.code).collect();
    assert_eq!(codes, ["110105021"]);
    assert!(g().townships_with_core("城关").len() > 88);
}
