//! The congress session a government work report was delivered to, and who
//! delivered it: `——2024年3月30日在某镇第十八届人民代表大会第六次会议上`
//! followed by `镇党委副书记、镇长 某某`.

use std::sync::LazyLock;

use regex::Regex;

use crate::numerals::parse_integer;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meeting {
    pub line: String,
    pub date: Option<String>,
    pub term: Option<i32>,
    pub session: Option<i32>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Speaker {
    pub line: String,
    pub name: String,
    pub title: String,
}

const NUM: &str = "[一二三四五六七八九十百〇零两\\d]+";

static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日").expect("static regex"));
/// Digits whose 年 and 月 were lost: 2024312日.
static GARBLED_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})(\d{2,4})日").expect("static regex"));
static TERM: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("第({NUM})届")).expect("static regex"));
static SESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?:人民代表大会|人大|届)(?:第)?({NUM})次会议")).expect("static regex"));
static BODY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"在([\u4e00-\u9fa5\d]{0,40}?人民代表大会)").expect("static regex"));
static SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([\u4e00-\u9fa5、，,（）()]{0,30}?(?:镇长|乡长|主任|书记|区长|县长|市长))[\s\u3000:：]*([\u4e00-\u9fa5](?:[\s\u3000]*[\u4e00-\u9fa5]){1,3})$")
        .expect("static regex")
});
static PLACE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\u4e00-\u9fa5]{1,8}?((?:镇|乡|街道|苏木)(?:党委|党工委|人民政府|政府|人大).*)$")
        .expect("static regex")
});

/// The meeting line among the first lines of `text`.
pub fn meeting(text: &str) -> Option<Meeting> {
    let line = text.lines().take(12).find(|l| {
        (l.contains("人民代表大会") || l.contains("人大"))
            && l.chars().count() <= 80
            && (l.contains("会议") || l.contains("届"))
    })?;
    let date = DATE
        .captures(line)
        .and_then(|c| valid_date(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?))
        .or_else(|| {
            GARBLED_DATE
                .captures(line)
                .and_then(|c| unambiguous_split(c[1].parse().ok()?, &c[2]))
        });
    let term = TERM
        .captures(line)
        .and_then(|c| parse_integer(&c[1]))
        .and_then(|n| i32::try_from(n).ok());
    let session = SESSION.captures(line).and_then(|c| {
        let whole = c.get(0)?;
        // 第一次全体会议 is a plenary sitting, not the session.
        if line[whole.start()..].starts_with("全体") {
            return None;
        }
        parse_integer(&c[1]).and_then(|n| i32::try_from(n).ok())
    });
    let body = BODY.captures(line).map(|c| c[1].to_string());
    Some(Meeting {
        line: line.to_string(),
        date,
        term,
        session,
        body,
    })
}

fn valid_date(year: i32, month: u32, day: u32) -> Option<String> {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days)
        .contains(&day)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// `312` after a year is March 12 only if no other month/day split is valid.
fn unambiguous_split(year: i32, digits: &str) -> Option<String> {
    let candidates: Vec<String> = (1..digits.len())
        .filter_map(|i| valid_date(year, digits[..i].parse().ok()?, digits[i..].parse().ok()?))
        .collect();
    match candidates.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The speaker line: a title ending in 镇长/乡长/主任/书记 and a 2–4
/// character name (internal spaces removed: `王 建` is 王建).
pub fn speaker(text: &str, after_line: Option<&str>) -> Option<Speaker> {
    let lines: Vec<&str> = text.lines().take(15).collect();
    let start = after_line
        .and_then(|m| lines.iter().position(|l| *l == m))
        .map_or(0, |i| i + 1);
    lines.iter().skip(start).take(4).find_map(|line| {
        let caps = SPEAKER.captures(line.trim())?;
        let name: String = caps[2]
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
            .collect();
        if ["同志们", "各位代表", "代表们"].contains(&name.as_str()) {
            return None;
        }
        let title = caps[1].trim().to_string();
        let title = PLACE_PREFIX
            .captures(&title)
            .map_or(title.clone(), |c| c[1].to_string());
        Some(Speaker {
            line: line.to_string(),
            name,
            title,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_meeting_line() {
        let m =
            meeting("政府工作报告\n——2024年3月30日在某镇第十八届人民代表大会第六次会议上\n镇党委副书记、镇长 王 建")
                .unwrap();
        assert_eq!(m.date.as_deref(), Some("2024-03-30"));
        assert_eq!((m.term, m.session), (Some(18), Some(6)));
        assert_eq!(m.body.as_deref(), Some("某镇第十八届人民代表大会"));
        let s = speaker(
            "政府工作报告\n——2024年3月30日在某镇第十八届人民代表大会第六次会议上\n镇党委副书记、镇长 王 建",
            Some(&m.line),
        )
        .unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("王建", "镇党委副书记、镇长"));
    }

    #[test]
    fn garbled_lines_give_only_what_is_unambiguous() {
        let m = meeting("2024312日在某市某区某镇第十届次人民代表大会第一次全体会议上").unwrap();
        assert_eq!(m.date.as_deref(), Some("2024-03-12"));
        assert_eq!((m.term, m.session), (Some(10), None));
        // 2024111日: 1-11 or 11-1: ambiguous.
        assert_eq!(
            meeting("2024111日在某镇第十届人民代表大会第二次会议上").unwrap().date,
            None
        );
        assert_eq!(
            meeting("2024年13月45日在某镇第十届人民代表大会第二次会议上")
                .unwrap()
                .date,
            None
        );
    }

    #[test]
    fn the_place_is_not_part_of_the_speakers_title() {
        let s = speaker("某某镇党委副书记、镇长 张敏", None).unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("张敏", "镇党委副书记、镇长"));
        assert!(speaker("各位代表、同志们：", None).is_none());
    }
}
