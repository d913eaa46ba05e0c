//! No input makes the gazetteer panic, and mentions always point at the
//! text they name: random mixes of division-name fragments, suffixes, digits
//! and arbitrary Unicode.

use proptest::prelude::*;
use townreports_gazetteer::{Gazetteer, Query, Resolution};

/// `PROPTEST_CASES` turns these into longer fuzzing runs.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("四川".to_string()),
        Just("省".to_string()),
        Just("市".to_string()),
        Just("县".to_string()),
        Just("区".to_string()),
        Just("乡".to_string()),
        Just("镇".to_string()),
        Just("村".to_string()),
        Just("街道".to_string()),
        Just("地区".to_string()),
        Just("自治".to_string()),
        Just("土家族".to_string()),
        Just("北京".to_string()),
        Just("城关".to_string()),
        Just("宁波市北仑区".to_string()),
        Just("委员会".to_string()),
        "[\\u4e00-\\u9fa5]{1,4}",
        "[0-9a-z ]{1,4}",
        any::<String>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(200)))]

    #[test]
    fn mentions_name_what_the_text_says(text in text()) {
        let chars: Vec<char> = text.chars().collect();
        let mut last_start = 0;
        for m in Gazetteer::global().find_places(&text) {
            prop_assert!(m.start < m.end && m.end <= chars.len());
            prop_assert!(m.start >= last_start, "left to right");
            last_start = m.start;
            prop_assert_eq!(chars[m.start..m.end].iter().collect::<String>(), m.name);
            prop_assert!(!m.codes.is_empty());
        }
    }

    #[test]
    fn any_query_has_an_answer(
        township in proptest::option::of(text()),
        county in proptest::option::of(text()),
        city in proptest::option::of(text()),
        province in proptest::option::of(text()),
    ) {
        let g = Gazetteer::global();
        let query = Query { township, county, city, province };
        if let Resolution::Unique(place) = g.resolve(&query) {
            prop_assert_eq!(g.place(&place.code), Some(place));
        }
        let villages: Vec<String> = query.township.iter().chain(&query.county).cloned().collect();
        let villages: Vec<&str> = villages.iter().map(String::as_str).collect();
        if let Some(inference) = g.infer_from_villages(&villages, &query) {
            prop_assert!(inference.villages.len() >= 2);
        }
        for name in villages {
            let _ = g.is_village_name(name);
        }
    }

    #[test]
    fn any_code_is_looked_up_safely(code in "[0-9]{0,12}|\\PC{0,12}") {
        if let Some(place) = Gazetteer::global().place(&code) {
            prop_assert_eq!(place.code, code);
        }
    }
}
