//! The outline: 一、 (一) 1. and 一是/二是 headings, plus unnumbered
//! heading lines such as 2023年政府工作回顾, each with the kind of section it
//! opens. The plan part of a report (where targets live) follows from it.

use std::sync::LazyLock;

use regex::Regex;

/// What a section is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Review,
    Plan,
    Problems,
    SelfBuilding,
    Other,
}

impl SectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Review => "review",
            SectionKind::Plan => "plan",
            SectionKind::Problems => "problems",
            SectionKind::SelfBuilding => "self_building",
            SectionKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub level: u32,
    pub number: String,
    pub heading: String,
    pub kind: SectionKind,
    /// Char offsets of the heading in the text.
    pub start: usize,
    pub end: usize,
}

static LEVEL1: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([一二三四五六七八九十]{1,3})\s*[、.．]\s*(.+)$").expect("static regex"));
static LEVEL2: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[（(]([一二三四五六七八九十]{1,3})[）)]\s*(.+)$").expect("static regex"));
static LEVEL3: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,2})\s*[、.．]\s*(\D.*)$").expect("static regex"));
static LEVEL4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[。；;])\s*([一二三四五六七八九十]{1,2}是)([^。；;，,]{2,40})").expect("static regex")
});

const REVIEW: &[&str] = &[
    "回顾",
    "总结",
    "主要工作",
    "完成情况",
    "推进情况",
    "工作情况",
    "开展情况",
    "成绩",
    "成效",
    "以来",
];
const PLAN: &[&str] = &[
    "安排",
    "计划",
    "谋划",
    "打算",
    "思路",
    "目标",
    "下一步",
    "重点工作",
    "工作重点",
    "展望",
    "我们将",
    "要点",
];
/// Review words that outweigh a plan word in the same heading.
const ACCOUNTED: &[&str] = &[
    "回顾",
    "完成情况",
    "推进情况",
    "开展情况",
    "落实情况",
    "主要成绩",
    "工作成效",
    // 经济增长目标如期实现: a goal met is an account.
    "如期实现",
    "圆满完成",
    "全面完成",
    "超额完成",
    "顺利完成",
];
const PROBLEMS: &[&str] = &["问题", "不足", "困难", "短板", "差距", "挑战"];
const SELF: &[&str] = &["自身建设", "政府建设", "作风建设", "廉政建设", "政府自身"];

/// The kind a heading's words announce.
pub fn kind_of(heading: &str) -> SectionKind {
    let has = |words: &[&str]| words.iter().any(|w| heading.contains(w));
    if has(SELF) {
        SectionKind::SelfBuilding
    } else if has(PROBLEMS) {
        SectionKind::Problems
    } else if has(ACCOUNTED) {
        // 年度目标任务完成情况 accounts for the targets: a review.
        SectionKind::Review
    } else if has(PLAN) {
        SectionKind::Plan
    } else if has(REVIEW) {
        SectionKind::Review
    } else {
        SectionKind::Other
    }
}

/// A heading's own words: up to its first full stop.
fn heading_words(rest: &str) -> String {
    let cut = rest.find(['。', '；', ';']).map_or(rest, |i| &rest[..i]);
    cut.trim_end_matches(['：', ':']).trim().to_string()
}

/// Whether an unnumbered short line with a plan word can head the plan
/// part. Not a sentence opening a paragraph (一年来，…实现全年目标任务: it
/// has a comma), nor a title: one naming the document (2020年重点工作汇报),
/// or the second line of one the line before leaves open
/// (某镇2010年工作总结及 / 2011年工作计划).
fn plan_heading_line(line: &str, previous: &str) -> bool {
    !line.contains(['，', ','])
        && !line.ends_with("汇报")
        && !line.ends_with("报告")
        && !["及", "和", "与", "暨"]
            .iter()
            .any(|w| previous.trim_end().ends_with(w))
}

/// Every heading of `text`, in order.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    let lines: Vec<&str> = text.lines().collect();
    for (i, &line) in lines.iter().enumerate() {
        let previous = if i > 0 { lines[i - 1] } else { "" };
        let len = line.chars().count();
        let trimmed = line.trim();
        let numbered = [(1, &*LEVEL1), (2, &*LEVEL2), (3, &*LEVEL3)]
            .into_iter()
            .find_map(|(level, re)| {
                let caps = re.captures(trimmed)?;
                Some((level, caps[1].to_string(), heading_words(&caps[2])))
            });
        if let Some((level, number, heading)) = numbered {
            if !heading.is_empty() && heading.chars().count() <= 60 {
                // From the number to the end of the heading's words.
                let lead = line.chars().take_while(|c| c.is_whitespace()).count();
                let words_at = line.find(heading.as_str()).map_or(len, |b| line[..b].chars().count());
                out.push(Heading {
                    level,
                    number,
                    kind: kind_of(&heading),
                    start: offset + lead,
                    end: offset + (words_at + heading.chars().count()).min(len),
                    heading,
                });
            }
        } else if len <= 30
            && !trimmed.ends_with(['。', '，', ',', '；'])
            && kind_of(trimmed) != SectionKind::Other
            && (kind_of(trimmed) != SectionKind::Plan || plan_heading_line(trimmed, previous))
            // 某镇2024年工作总结和2025年工作思路 is a title, not the plan part.
            && !(REVIEW.iter().any(|w| trimmed.contains(w)) && PLAN.iter().any(|w| trimmed.contains(w)))
        {
            // An unnumbered heading line: 2023年政府工作回顾.
            out.push(Heading {
                level: 1,
                number: String::new(),
                heading: trimmed.trim_end_matches(['：', ':']).to_string(),
                kind: kind_of(trimmed),
                start: offset,
                end: offset + len,
            });
        }
        for caps in LEVEL4.captures_iter(line) {
            let whole = caps.get(1).expect("group 1");
            let start = offset + line[..whole.start()].chars().count();
            let heading = caps[2].trim().to_string();
            out.push(Heading {
                level: 4,
                number: caps[1].to_string(),
                kind: kind_of(&heading),
                end: start + caps[1].chars().count() + heading.chars().count(),
                heading,
                start,
            });
        }
        offset += len + 1;
    }
    out
}

/// The plan part of a document: all of a work plan that reviews nothing
/// under a heading of its own (its figures are what it plans), else
/// [`plan_ranges`].
pub fn plan_ranges_of(text: &str, headings: &[Heading], work_plan: bool) -> Vec<(usize, usize)> {
    let reviews = headings.iter().any(|h| h.level <= 1 && h.kind == SectionKind::Review);
    if work_plan && !reviews {
        return vec![(0, text.chars().count())];
    }
    plan_ranges(text, headings)
}

/// Char ranges of the text that are the plan part: from a top-level plan
/// heading (or a line announcing what "we will" do) until a review heading.
pub fn plan_ranges(text: &str, headings: &[Heading]) -> Vec<(usize, usize)> {
    let total = text.chars().count();
    let mut marks: Vec<(usize, bool)> = headings
        .iter()
        .filter(|h| h.level <= 1 && matches!(h.kind, SectionKind::Plan | SectionKind::Review))
        .map(|h| (h.start, h.kind == SectionKind::Plan))
        .collect();
    // "2023年我们将重点抓好五个方面的工作:" opens a plan without a heading.
    let mut offset = 0;
    for line in text.lines() {
        let len = line.chars().count();
        if len <= 60
            && (line.contains("我们将") || line.contains("将重点抓好") || line.contains("主要目标"))
            && !line.contains("回顾")
        {
            marks.push((offset, true));
        }
        offset += len + 1;
    }
    marks.sort();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut open: Option<usize> = None;
    for (at, is_plan) in marks {
        match (open, is_plan) {
            (None, true) => open = Some(at),
            (Some(start), false) => {
                ranges.push((start, at));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        ranges.push((start, total));
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "各位代表：\n一、2023年工作回顾\n（一）经济发展。一是项目建设有质效。全年实施项目45个。\n二、2024年工作安排\n1. 抓项目\n三、全面加强政府自身建设";

    #[test]
    fn a_goal_met_is_an_account() {
        assert_eq!(kind_of("经济增长目标如期实现"), SectionKind::Review);
        assert_eq!(kind_of("2024年主要目标"), SectionKind::Plan);
    }

    #[test]
    fn a_work_plan_is_all_plan_unless_it_reviews() {
        let text = "一、抓项目\n新建道路5公里。";
        assert_eq!(plan_ranges_of(text, &headings(text), true), [(0, 14)]);
        assert!(plan_ranges_of(text, &headings(text), false).is_empty());
        let text = "一、2023年工作回顾\n二、2024年工作计划\n";
        assert_eq!(plan_ranges_of(text, &headings(text), true), [(12, 24)]);
    }

    #[test]
    fn titles_are_no_plan_headings() {
        let text = "某镇2010年工作总结及\n2011年工作计划\n全镇完成投资5亿元。\n2020年重点工作汇报\n下一步工作打算\n";
        let kinds: Vec<_> = headings(text).iter().map(|h| h.kind).collect();
        assert_eq!(kinds, [SectionKind::Review, SectionKind::Plan]);
    }

    #[test]
    fn a_sentence_naming_goals_opens_no_plan_part() {
        let text = "一、2023年工作回顾\n一年来，我们实现全年目标任务\n全镇完成投资5亿元。\n二、2024年工作安排\n";
        let h = headings(text);
        assert_eq!(h.len(), 2, "{h:?}");
        let plan = plan_ranges(text, &h);
        let at = text.find("二、").map(|b| text[..b].chars().count()).unwrap();
        assert_eq!(plan, [(at, text.chars().count())]);
    }

    #[test]
    fn levels_numbers_and_kinds() {
        let h = headings(TEXT);
        let summary: Vec<(u32, &str, &str)> = h
            .iter()
            .map(|h| (h.level, h.number.as_str(), h.kind.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (1, "一", "review"),
                (2, "一", "other"),
                (4, "一是", "other"),
                (1, "二", "plan"),
                (3, "1", "other"),
                (1, "三", "self_building")
            ]
        );
        assert_eq!(h[0].heading, "2023年工作回顾");
        let chars: Vec<char> = TEXT.chars().collect();
        assert_eq!(
            chars[h[0].start..h[0].end].iter().collect::<String>(),
            "一、2023年工作回顾"
        );
    }

    #[test]
    fn the_plan_part_runs_from_its_heading() {
        let h = headings(TEXT);
        let ranges = plan_ranges(TEXT, &h);
        assert_eq!(ranges.len(), 1);
        let start = TEXT.chars().collect::<Vec<_>>()[ranges[0].0..]
            .iter()
            .take(7)
            .collect::<String>();
        assert_eq!(start, "二、2024年");
        let no_heading = "一、抓项目\n全年完成投资1亿元。\n2023年我们将重点抓好五个方面的工作：\n一、抓招商";
        assert_eq!(plan_ranges(no_heading, &headings(no_heading)).len(), 1);
    }
}
