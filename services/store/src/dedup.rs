//! One report, many copies: the same report is found on its township's
//! site, its county's site, an aggregator (cut, or with the name blanked)
//! and as a PDF beside its page. Exact copies share a content hash; near
//! copies are found by SimHash over the clean text (Charikar's fingerprint:
//! near texts differ in few of its 64 bits), and the copy whose source is
//! most authoritative supplies the record.

use townreports_proto::v1::ReportRecord;
use xxhash_rust::xxh3::xxh3_64;

/// Texts whose fingerprints differ in at most this many bits are copies.
pub const MAX_DISTANCE: u32 = 3;
/// The fingerprint is cut into five bands (13, 13, 13, 13 and 12 bits) and
/// looked up by pairs of bands: two fingerprints within [`MAX_DISTANCE`]
/// bits differ in at most three bands, so they share at least one pair
/// exactly. A pair (26 bits, two places in the text's fingerprint) is
/// shared by chance far less often than one 16-bit band, which reports
/// written from one template share by the thousand.
pub const BANDS: u32 = 5;
const BAND_BITS: u32 = 13;
/// Characters per shingle: CJK text has no spaces to split words on.
const SHINGLE: usize = 3;

/// The 64-bit SimHash of `text`, over character 3-grams of its letters
/// and digits (whitespace and punctuation, which copies mangle, ignored).
pub fn simhash(text: &str) -> u64 {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut weights = [0i64; 64];
    let mut buf = [0u8; SHINGLE * 4];
    for window in chars.windows(SHINGLE) {
        let mut len = 0;
        for c in window {
            len += c.encode_utf8(&mut buf[len..]).len();
        }
        let hash = xxh3_64(&buf[..len]);
        for (bit, weight) in weights.iter_mut().enumerate() {
            *weight += if hash >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    weights
        .iter()
        .enumerate()
        .fold(0u64, |acc, (bit, w)| if *w > 0 { acc | 1 << bit } else { acc })
}

pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The band pairs of a fingerprint, as stored for lookup: (pair number,
/// the two bands' bits side by side).
pub fn bands(hash: u64) -> impl Iterator<Item = (i64, i64)> {
    let band = move |i: u32| (hash >> (BAND_BITS * i)) & ((1 << BAND_BITS) - 1);
    (0..BANDS)
        .flat_map(|i| (i + 1..BANDS).map(move |j| (i, j)))
        .enumerate()
        .map(move |(pair, (i, j))| (pair as i64, ((band(i) << BAND_BITS) | band(j)) as i64))
}

/// How much a copy's metadata is trusted: official sites above unknown
/// ones above aggregators, then whole above cut, then named above blanked.
pub fn source_rank(record: &ReportRecord) -> i64 {
    let kind = match record.source.as_ref().map(|s| s.source_kind.as_str()) {
        Some("official") => 2,
        Some("aggregator") => 0,
        _ => 1,
    };
    kind * 4 + i64::from(!record.truncated) * 2 + i64::from(!record.placeholder_names)
}

/// SQLite keeps integers signed: the fingerprint is stored bit for bit.
pub fn to_sql(hash: u64) -> i64 {
    hash as i64
}

pub fn from_sql(value: i64) -> u64 {
    value as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use townreports_proto::v1::Source;

    const REPORT: &str = "各位代表：现在，我代表镇人民政府向大会报告工作，请予审议。一、2023年工作回顾。全年实现地区生产总值12.56亿元，同比增长6.2%；一般公共预算收入3260万元，增长4.1%。粮食播种面积5.3万亩，总产量2.1万吨。新建村级道路18公里，改造危房126户。二、2024年工作安排。力争地区生产总值增长6.5%，新建高标准农田1.2万亩，推进集镇污水管网建设。";

    #[test]
    fn copies_are_near_and_other_reports_are_not() {
        let original = simhash(REPORT);
        let reformatted = simhash(&REPORT.replace('。', "。\n\n").replace("，", ", "));
        assert_eq!(original, reformatted, "punctuation and layout do not count");
        let blanked = simhash(&REPORT.replacen("镇人民政府", "XX镇人民政府", 1));
        assert!(
            distance(original, blanked) <= MAX_DISTANCE,
            "{}",
            distance(original, blanked)
        );
        let other = simhash(
            "各位代表：我代表乡人民政府报告工作。2022年全乡农民人均可支配收入16520元，增长7%。完成造林1200亩，新建村卫生室3个，建成光伏电站2座，发放惠民资金680万元。",
        );
        assert!(distance(original, other) > 10, "{}", distance(original, other));
        // Band pairs: a copy within the distance shares one.
        assert!(bands(original).zip(bands(blanked)).any(|(a, b)| a == b));
        assert_eq!(bands(original).count(), 10);
        assert_eq!(from_sql(to_sql(u64::MAX)), u64::MAX);
    }

    #[test]
    fn any_fingerprints_within_the_distance_share_a_pair() {
        // Flip every combination of up to three bits of a few fingerprints.
        for hash in [0u64, u64::MAX, 0x0123_4567_89ab_cdef, simhash(REPORT)] {
            for a in 0..64 {
                for b in a..64 {
                    for c in (b..64).step_by(7) {
                        let near = hash ^ (1 << a) ^ (1 << b) ^ (1 << c);
                        assert!(distance(hash, near) <= MAX_DISTANCE);
                        assert!(bands(hash).zip(bands(near)).any(|(x, y)| x == y), "{a} {b} {c}");
                    }
                }
            }
        }
    }

    #[test]
    fn official_whole_named_copies_rank_first() {
        let with = |kind: &str, truncated: bool| ReportRecord {
            source: Some(Source {
                source_kind: kind.into(),
                ..Default::default()
            }),
            truncated,
            ..Default::default()
        };
        assert!(source_rank(&with("official", false)) > source_rank(&with("unknown", false)));
        assert!(source_rank(&with("unknown", false)) > source_rank(&with("aggregator", false)));
        assert!(source_rank(&with("aggregator", false)) > source_rank(&with("aggregator", true)));
        assert!(source_rank(&with("official", true)) > source_rank(&with("aggregator", false)));
    }
}
