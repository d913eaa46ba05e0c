//! The congress session a government work report was delivered to, and who
//! delivered it: `——2024年3月30日在某镇第十八届人民代表大会第六次会议上`
//! near a line `镇党委副书记、镇长 某某`.
//!
//! The forms vary: the date may stand on its own line, in Chinese numerals
//! (`（二〇二四年一月十日）`); the congress may be abbreviated
//! (`十八届人大四次会议`); the speaker may come before the meeting line.
//! Whatever is garbled is left empty rather than guessed.

use std::sync::LazyLock;

use regex::Regex;

use crate::numerals::parse_integer;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meeting {
    /// The meeting line as printed.
    pub line: String,
    /// A line of its own that gave the date, when the meeting line has none.
    pub date_line: Option<String>,
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

/// A number in Arabic or Chinese digits.
const NUM: &str = "[一二三四五六七八九十百〇零两\\d]+";
/// Lines of the opening where the meeting and speaker lines are printed.
const OPENING_LINES: usize = 15;

static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日").expect("static regex"));
/// 二〇二四年一月十日 (○ and O are printed for 〇 too).
static CHINESE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([〇○Ｏ零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
        .expect("static regex")
});
/// Digits whose 年 and 月 were lost: 2024312日.
static GARBLED_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})(\d{2,4})日").expect("static regex"));
/// A line that is only a date, maybe bracketed: `（2024年1月10日）`.
static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[（(]?\s*[\d〇○Ｏ零一二三四五六七八九十]{4}\s*年[\d一二三四五六七八九十\s]{1,3}月[\d一二三四五六七八九十\s]{1,3}日\s*[）)]?$")
        .expect("static regex")
});
static TERM: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("第?({NUM})届")).expect("static regex"));
/// 人民代表大会第六次会议, 人大四次会议, 届四次人代会.
static SESSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?:人民代表大会|人大|届)\\s*第?({NUM})次\\s*(全体会议|会议|人代会|人大会议|大会)"
    ))
    .expect("static regex")
});
static BODY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"在([\u4e00-\u9fa5\d]{0,40}?人民代表大会)").expect("static regex"));
static SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([\u4e00-\u9fa5、，,（）()]{0,30}?(?:镇长|乡长|主任|书记|区长|县长|市长|苏木达)(?:提名人选|候选人)?)[\s\u3000:：]*([\u4e00-\u9fa5](?:[\s\u3000]*[\u4e00-\u9fa5·]){1,5}|[xX×*＊]{2,3})$")
        .expect("static regex")
});
static PLACE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\u4e00-\u9fa5]{1,8}?((?:镇|乡|街道|苏木)(?:党委|党工委|人民政府|政府|人大).*)$")
        .expect("static regex")
});

/// The place before a town's head: 湖镇镇镇长, 某县某乡乡长.
static PLACE_BEFORE_HEAD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\u4e00-\u9fa5]{0,8}[市县区旗镇乡]((?:镇|乡)长)$").expect("static regex"));

/// Whether a line names a congress meeting.
fn is_meeting_line(line: &str) -> bool {
    ["人民代表大会", "人大", "人代会"].iter().any(|w| line.contains(w))
        && line.chars().count() <= 80
        && (line.contains("会议") || line.contains('届') || line.contains("人代会"))
}

fn number(raw: &str) -> Option<i32> {
    parse_integer(raw).and_then(|n| i32::try_from(n).ok())
}

/// The date a line prints, if it is a real calendar date.
fn date_in(line: &str) -> Option<String> {
    if let Some(c) = DATE.captures(line) {
        return valid_date(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
    }
    if let Some(c) = CHINESE_DATE.captures(line) {
        let year = number(&c[1])?;
        return valid_date(
            year,
            u32::try_from(number(&c[2])?).ok()?,
            u32::try_from(number(&c[3])?).ok()?,
        );
    }
    GARBLED_DATE
        .captures(line)
        .and_then(|c| unambiguous_split(c[1].parse().ok()?, &c[2]))
}

/// The meeting line among the first lines of `text`, with the date from
/// the line itself or from a date line right next to it.
///
/// A page that prints the meeting twice (in its title bar and over the
/// text) has the date beside the second: the first meeting line with a
/// date is taken, else the first.
pub fn meeting(text: &str) -> Option<Meeting> {
    let lines: Vec<&str> = text.lines().take(OPENING_LINES).collect();
    let meetings: Vec<usize> = (0..lines.len()).filter(|i| is_meeting_line(lines[*i])).collect();
    let dated = meetings.iter().map(|at| (*at, dated(&lines, *at)));
    let (at, (date, date_line)) = dated
        .clone()
        .find(|(_, (date, _))| date.is_some())
        .or_else(|| dated.take(1).next())?;
    let line = lines[at];
    let term = TERM.captures(line).and_then(|c| number(&c[1]));
    // 第一次全体会议 is a plenary sitting, not the session.
    let session = SESSION
        .captures(line)
        .filter(|c| &c[2] != "全体会议")
        .and_then(|c| number(&c[1]));
    let body = BODY.captures(line).map(|c| c[1].to_string());
    Some(Meeting {
        line: line.to_string(),
        date_line,
        date,
        term,
        session,
        body,
    })
}

/// Whether the congress is a county's, a district's or a city's (在鄂州市第九届
/// 人民代表大会, 在自治县第九届…): its place ends in a higher unit and names
/// no township.
pub fn of_higher_level(meeting: &Meeting) -> bool {
    static PLACE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(.*?)第[一二三四五六七八九十百\d]{1,4}届").expect("static regex"));
    let Some(place) = meeting
        .body
        .as_deref()
        .and_then(|b| PLACE.captures(b))
        .map(|c| c[1].to_string())
    else {
        return false;
    };
    !["镇", "乡", "街道"].iter().any(|w| place.contains(w))
        && ["县", "市", "区", "旗", "州", "盟"].iter().any(|w| place.ends_with(w))
}

/// The date of the meeting line `at`: its own, or that of a date line
/// next to it (and that line).
fn dated(lines: &[&str], at: usize) -> (Option<String>, Option<String>) {
    let line = lines[at];
    let date = date_in(line);
    if date.is_some() || DATE.is_match(line) || CHINESE_DATE.is_match(line) {
        return (date, None);
    }
    let neighbours = [at + 1, at + 2, at.wrapping_sub(1), at.wrapping_sub(2)];
    match neighbours
        .iter()
        .filter_map(|i| lines.get(*i))
        .find(|l| DATE_LINE.is_match(l.trim()))
    {
        Some(l) => (date_in(l), Some(l.to_string())),
        None => (None, None),
    }
}

/// `YYYY-MM-DD` when the date is on the calendar (no 13月, no 2月30日).
pub(crate) fn valid_date(year: i32, month: u32, day: u32) -> Option<String> {
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

/// The speaker line: a title ending in 镇长/乡长/主任/书记 and a 2–6
/// character name (internal spaces removed: `王 建` is 王建), looked for
/// right after the meeting line, then right before it, else in the opening.
pub fn speaker(text: &str, meeting: Option<&Meeting>) -> Option<Speaker> {
    let lines: Vec<&str> = text.lines().take(OPENING_LINES).collect();
    let order: Vec<usize> = match meeting.and_then(|m| lines.iter().position(|l| *l == m.line)) {
        Some(at) => {
            // Nearest the meeting line first; a page that prints the
            // meeting twice (in its table and over the text) has the
            // speaker under the second.
            let after = (at + 1..lines.len()).take(4);
            let before = (0..at).rev().take(3);
            let rest = (0..lines.len()).filter(|i| !(at.saturating_sub(3)..=at + 4).contains(i));
            after.chain(before).chain(rest).collect()
        }
        None => (0..lines.len()).collect(),
    };
    order
        .into_iter()
        .find_map(|i| speaker_line(lines[i]))
        .or_else(|| bare_name(&lines, meeting?))
}

/// Common surnames: a bare name is only read where one opens it.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤卜舒";

/// A speaker printed by name alone, with no title: on the meeting line
/// after it (…会议上 夏幼华) or on the line right after it (王展招).
fn bare_name(lines: &[&str], meeting: &Meeting) -> Option<Speaker> {
    let at = lines.iter().position(|l| *l == meeting.line)?;
    let tail = meeting
        .line
        .rsplit([' ', '\u{3000}'])
        .next()
        .filter(|t| *t != meeting.line);
    let candidates = tail.into_iter().chain(lines.get(at + 1).copied());
    candidates.into_iter().find_map(|line| {
        let name = crate::text::unspaced(line.trim());
        let chars = name.chars().count();
        let is_name = (2..=3).contains(&chars)
            && name.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            && name.chars().next().is_some_and(|c| SURNAMES.contains(c));
        is_name.then(|| Speaker {
            line: line.to_string(),
            name,
            title: String::new(),
        })
    })
}

fn speaker_line(line: &str) -> Option<Speaker> {
    let unspaced = crate::text::unspaced(line.trim());
    let caps = SPEAKER.captures(&unspaced)?;
    // A masked name (镇长 XX) is no name; the title stays.
    let name: String = caps[2]
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}' && !"xX×*＊".contains(*c))
        .collect();
    // A name has at most four characters unless it is a transcribed one (·).
    if ["同志们", "各位代表", "代表们"].contains(&name.as_str()) || (name.chars().count() > 4 && !name.contains('·'))
    {
        return None;
    }
    let title = caps[1].trim().to_string();
    let title = PLACE_PREFIX
        .captures(&title)
        .or_else(|| PLACE_BEFORE_HEAD.captures(&title))
        .map_or(title.clone(), |c| c[1].to_string());
    Some(Speaker {
        line: line.to_string(),
        name,
        title,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn congresses_above_a_township() {
        let higher = |line: &str| of_higher_level(&meeting(line).unwrap());
        assert!(higher("——2024年1月16日在鄂州市第九届人民代表大会第四次会议上"));
        assert!(higher("2023年1月10日在自治县第九届人民代表大会第二次会议上"));
        assert!(!higher("——2024年3月30日在某镇第十八届人民代表大会第六次会议上"));
        assert!(!higher("在某区某街道第一届人民代表大会第三次会议上"));
        assert!(!higher("在镇第十七届人民代表大会第十次会议上"));
    }

    #[test]
    fn a_regular_meeting_line() {
        let text = "政府工作报告\n——2024年3月30日在某镇第十八届人民代表大会第六次会议上\n镇党委副书记、镇长 王 建";
        let m = meeting(text).unwrap();
        assert_eq!(m.date.as_deref(), Some("2024-03-30"));
        assert_eq!((m.term, m.session), (Some(18), Some(6)));
        assert_eq!(m.body.as_deref(), Some("某镇第十八届人民代表大会"));
        let s = speaker(text, Some(&m)).unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("王建", "镇党委副书记、镇长"));
    }

    #[test]
    fn a_date_line_in_chinese_numerals_and_a_speaker_before_the_meeting() {
        let text =
            "甲乡人民政府乡长  黄海燕\n——在甲乡第十一届人民代表大会第三次会议上\n（二〇二四年一月十日）\n各位代表：";
        let m = meeting(text).unwrap();
        assert_eq!(m.date.as_deref(), Some("2024-01-10"));
        assert_eq!(m.date_line.as_deref(), Some("（二〇二四年一月十日）"));
        assert_eq!((m.term, m.session), (Some(11), Some(3)));
        let s = speaker(text, Some(&m)).unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("黄海燕", "乡人民政府乡长"));
    }

    #[test]
    fn the_meeting_printed_twice_is_the_dated_one() {
        let text = "政府工作报告在某镇第四届人民代表大会第三次会议上\n来源:某镇\n字号\n——在某镇第四届人民代表大会第三次会议上\n镇长 苏利军\n(2023年4月20日)";
        let m = meeting(text).unwrap();
        assert_eq!(m.line, "——在某镇第四届人民代表大会第三次会议上");
        assert_eq!(m.date.as_deref(), Some("2023-04-20"));
    }

    #[test]
    fn nominees_and_masked_names() {
        let s = speaker_line("某某镇党委副书记、镇长提名人选 卜先").unwrap();
        assert_eq!(
            (s.name.as_str(), s.title.as_str()),
            ("卜先", "镇党委副书记、镇长提名人选")
        );
        let s = speaker_line("镇长 XX").unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("", "镇长"));
    }

    #[test]
    fn a_place_before_the_heads_title() {
        let s = speaker_line("湖镇镇镇长  钟罗谊").unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("钟罗谊", "镇长"));
        assert_eq!(speaker_line("代镇长 王建").unwrap().title, "代镇长");
    }

    #[test]
    fn a_speaker_named_without_a_title() {
        let text = "政府工作报告\n——2023年1月16日在某镇第十一届人民代表大会第三次会议上\n王展招\n各位代表：";
        let s = speaker(text, meeting(text).as_ref()).unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("王展招", ""));
        let text = "——2020年7月7日在某镇第七届人民代表大会第二次会议上 夏幼华\n各位代表：";
        assert_eq!(speaker(text, meeting(text).as_ref()).unwrap().name, "夏幼华");
        let text = "——在某镇第七届人民代表大会第二次会议上\n各位代表\n现在";
        assert!(speaker(text, meeting(text).as_ref()).is_none());
    }

    #[test]
    fn abbreviated_congresses() {
        let m = meeting("——2024年1月18日在甲乡十八届人大四次会议上").unwrap();
        assert_eq!((m.term, m.session), (Some(18), Some(4)));
        let m = meeting("在甲镇十九届三次人代会上的报告").unwrap();
        assert_eq!((m.term, m.session), (Some(19), Some(3)));
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
        let s = speaker("代乡长　陈　静", None).unwrap();
        assert_eq!((s.name.as_str(), s.title.as_str()), ("陈静", "代乡长"));
    }

    #[test]
    fn a_letter_spaced_speaker_and_one_far_from_the_meeting_line() {
        let s = speaker("政 府 工 作 报 告\n镇 长 曹 铮\n各位代表：", None).unwrap();
        assert_eq!(
            (s.name.as_str(), s.title.as_str(), s.line.as_str()),
            ("曹铮", "镇长", "镇 长 曹 铮")
        );
        let text = "名称: 政府工作报告——在某镇第十二届人民代表大会第三次会议上\n发表时间:2023-04-07\n字体:[ ]\n政府工作报告\n\
                    ——在某镇第十二届人民代表大会第三次会议上\n某镇人民政府镇长  刘文明\n各位代表:";
        let m = meeting(text);
        assert_eq!(speaker(text, m.as_ref()).map(|s| s.name).as_deref(), Some("刘文明"));
    }
}
