//! Which year a report looks back on and which it plans for: from the
//! title, the headings and the opening, and for a congress report from the
//! meeting date — never from the publication date or the URL, because
//! reports are uploaded months or years late.

use std::sync::LazyLock;

use regex::Regex;

use crate::classify::DocType;
use crate::numerals::parse_integer;

/// A year and the words it was read from.
pub type YearEvidence = Option<(i32, String)>;

/// A year in digits or Chinese numerals (二〇二三年), before 年.
/// 2023上半年 leaves out the 年 of the year.
const YEAR: &str = r"((?:19|20)\d{2}|二[〇○零Ｏ][〇○零Ｏ一二三四五六七八九]{2})\s*(?:年|[上下]半年)";

static YEAR_SPAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(YEAR).expect("static regex"));
/// No digit between the year and the words: in 2023年工作总结和2024年工作计划
/// the plan is 2024's, not 2023's.
static REVIEW_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{YEAR}[^。；\n\d]{{0,14}}?(回顾|总结|主要工作|工作情况|推进情况|完成情况|开展情况|工作成效|取得的成绩)"
    ))
    .expect("static regex")
});
static PLAN_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{YEAR}[^。；\n\d]{{0,14}}?(安排|计划|规划|谋划|打算|思路|目标任务|主要目标|预期目标|重点工作|工作重点|要点|展望)"
    ))
    .expect("static regex")
});
static OPENING_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:^|\n)\s*{YEAR}(?:以来|来|度)?[，,]\s*(?:在|全镇|全乡|全街道|我镇|我乡|我街道|面对)"
    ))
    .expect("static regex")
});
static PASSING_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:即将过去的|刚刚过去的|过去的|回顾){YEAR}")).expect("static regex"));
/// The state of things at the end of the year reviewed: 截至2007年底.
static YEAR_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:截至|截止)(?:到)?{YEAR}(?:底|末)")).expect("static regex"));
static YEAR_IS: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"(?:^|\n){YEAR}是")).expect("static regex"));
/// Words that open the plan part: what comes after looks ahead.
const PLAN_OPENERS: &[&str] = &[
    "工作安排",
    "工作计划",
    "工作打算",
    "工作思路",
    "目标任务",
    "预期目标",
    "下一步",
];

fn year_of(raw: &str) -> Option<i32> {
    if raw.chars().all(|c| c.is_ascii_digit()) {
        return raw.parse().ok();
    }
    let digits: String = raw
        .chars()
        .map(|c| if matches!(c, '○' | 'Ｏ') { '〇' } else { c })
        .collect();
    parse_integer(&digits).and_then(|y| i32::try_from(y).ok())
}

/// Years in `title` (in order).
pub fn title_years(title: &str) -> Vec<i32> {
    YEAR_SPAN.captures_iter(title).filter_map(|c| year_of(&c[1])).collect()
}

fn first_heading(headings: &[&str], re: &Regex) -> YearEvidence {
    headings
        .iter()
        .find_map(|h| re.captures(h).and_then(|c| Some((year_of(&c[1])?, h.to_string()))))
}

/// The text before its plan part, where a report looks back.
fn review_part(text: &str) -> &str {
    let mut offset = 0;
    for line in text.lines() {
        if line.chars().count() <= 40 && PLAN_OPENERS.iter().any(|w| line.contains(w)) {
            return &text[..offset];
        }
        offset += line.len() + 1;
        if offset >= text.len() {
            break;
        }
    }
    text
}

/// Review and plan years as the title prints them, by the kind of report.
fn from_title(title: &str, title_years: &[i32], doc_type: Option<DocType>) -> (YearEvidence, YearEvidence) {
    let quoted = |y: i32| Some((y, title.to_string()));
    match (doc_type, title_years) {
        (Some(DocType::WorkSummaryAndPlan), [a, b, ..]) => (quoted(*a), quoted(*b)),
        (Some(DocType::WorkSummaryAndPlan), [a]) => {
            // 2023年上半年工作总结和下半年工作计划: both the same year.
            let plan = if title.contains("下半年") {
                quoted(*a)
            } else if title.contains("明年") {
                quoted(a + 1)
            } else {
                None
            };
            (quoted(*a), plan)
        }
        (Some(DocType::WorkSummary), [a, ..]) => (quoted(*a), None),
        (Some(DocType::WorkPlan), [a, ..]) => (None, quoted(*a)),
        _ => (None, None),
    }
}

/// The year the review part looks back on, from its phrases (即将过去的
/// 2020年, 2023年是…) or from an account that opens on its year (2023年以来，
/// 在区委…; 2022年，全镇…).
fn review_from_text(text: &str) -> YearEvidence {
    let looking_back: String = review_part(text).chars().take(3000).collect();
    let phrase = PASSING_YEAR
        .captures(&looking_back)
        .or_else(|| YEAR_IS.captures(&looking_back))
        .or_else(|| YEAR_END.captures(&looking_back))
        .and_then(|c| Some((year_of(&c[1])?, c[0].trim().to_string())));
    if phrase.is_some() {
        return phrase;
    }
    let opening: String = text.chars().take(300).collect();
    OPENING_YEAR
        .captures(&opening)
        .and_then(|c| Some((year_of(&c[1])?, c[0].trim().to_string())))
}

/// The year a plan told as news or an interview looks ahead to, from its
/// opening: 2025年某镇将…, 介绍该镇2025年的工作计划.
fn plan_ahead(text: &str) -> YearEvidence {
    let opening: String = text.chars().take(1500).collect();
    PLAN_AHEAD
        .captures(&opening)
        .and_then(|c| Some((year_of(&c[1])?, c[0].trim().to_string())))
}

/// A year followed, in the same clause, by what will be done in it.
static PLAN_AHEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{YEAR}[^。；，,\n\d]{{0,20}}?(?:将|工作计划|目标任务|重点工作|重点项目)"
    ))
    .expect("static regex")
});

/// Whether a report is on part of a year: a half (上半年工作) or a
/// quarter (第一季度工作总结和第二季度工作计划).
fn half_year(title: &str, text: &str) -> bool {
    let opening: String = text.chars().take(300).collect();
    title.contains("半年") || title.contains("季度") || opening.contains("上半年工作")
}

/// Review and plan years with what each rests on. The title and headings
/// decide first; for a congress report the meeting date next; then phrases
/// of the review part such as 即将过去的2020年.
pub fn years(
    title: &str,
    text: &str,
    doc_type: Option<DocType>,
    meeting: Option<(i32, u32, &str)>,
) -> (YearEvidence, YearEvidence) {
    let ty = title_years(title);
    let (mut review, mut plan) = from_title(title, &ty, doc_type);
    let not_plan = doc_type != Some(DocType::WorkPlan);
    // Short lines are headings.
    let headings: Vec<&str> = text.lines().filter(|l| l.chars().count() <= 40).collect();
    if review.is_none() && not_plan {
        review = first_heading(&headings, &REVIEW_HEADING);
    }
    if plan.is_none() {
        plan = first_heading(&headings, &PLAN_HEADING);
    }
    let gwr = doc_type == Some(DocType::GovernmentWorkReport);
    if gwr && review.is_none() {
        review = from_meeting(&ty, meeting, title);
    }
    if gwr
        && review.is_none()
        && let Some((p, _)) = &plan
    {
        review = Some((p - 1, "the year before the plan".into()));
    }
    if review.is_none() && not_plan {
        review = review_from_text(text);
    }
    if plan.is_none() && doc_type == Some(DocType::WorkPlan) {
        plan = plan_ahead(text);
    }
    // A half-year report reviews and plans the same year.
    if half_year(title, text)
        && matches!(
            doc_type,
            Some(DocType::GovernmentWorkReport | DocType::WorkSummaryAndPlan)
        )
    {
        if review.is_none() {
            review = ty
                .first()
                .map(|y| (*y, title.to_string()))
                .or_else(|| meeting.map(|(y, _, line)| (y, line.to_string())));
        }
        if let Some((r, _)) = &review {
            plan = Some((*r, "the half-year's own".into()));
        }
    }
    if (gwr || doc_type == Some(DocType::WorkSummaryAndPlan))
        && plan.is_none()
        && let Some((r, _)) = &review
    {
        plan = Some((r + 1, "the year after the review".into()));
    }
    // A plan cannot precede its review.
    if let (Some((r, _)), Some((p, _))) = (&review, &plan)
        && p < r
    {
        plan = None;
    }
    (review, plan)
}

/// A congress early in the year hears the report on the year before; one
/// late in the year, on the year itself. Mid-year says nothing, unless the
/// title's year tells which.
fn from_meeting(title_years: &[i32], meeting: Option<(i32, u32, &str)>, title: &str) -> YearEvidence {
    let (year, month, line) = meeting?;
    match month {
        1..=6 => Some((year - 1, line.to_string())),
        9..=12 => Some((year, line.to_string())),
        _ => match title_years {
            // "2024年政府工作报告" delivered in 2024 reviews 2023.
            [y] => Some((if *y == year { y - 1 } else { *y }, title.to_string())),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(title: &str, text: &str, t: DocType, meeting: Option<(i32, u32, &str)>) -> (Option<i32>, Option<i32>) {
        let (r, p) = years(title, text, Some(t), meeting);
        (r.map(|r| r.0), p.map(|p| p.0))
    }

    #[test]
    fn from_the_opening_and_for_half_years() {
        use DocType::*;
        assert_eq!(
            both(
                "",
                "2023年以来,在区委、区政府的正确领导下,某街道认真学习",
                WorkSummary,
                None
            ),
            (Some(2023), None)
        );
        assert_eq!(
            both(
                "",
                "2023年,在市委的坚强领导下。\n二、下一步工作打算",
                WorkSummaryAndPlan,
                None
            ),
            (Some(2023), Some(2024))
        );
        assert_eq!(
            both(
                "某镇人民政府半年工作情况报告",
                "各位代表：",
                GovernmentWorkReport,
                Some((2022, 7, "会议"))
            ),
            (Some(2022), Some(2022))
        );
        assert_eq!(
            both("乡人民政府2022年上半年工作汇报", "", WorkSummaryAndPlan, None),
            (Some(2022), Some(2022))
        );
        assert_eq!(
            both("镇2023上半年工作开展情况和下半年工作打算", "", WorkSummaryAndPlan, None),
            (Some(2023), Some(2023))
        );
        assert_eq!(
            both(
                "乡镇2022年第一季度工作总结和第二季度工作计划",
                "",
                WorkSummaryAndPlan,
                None
            ),
            (Some(2022), Some(2022))
        );
    }

    #[test]
    fn from_titles_and_headings() {
        use DocType::*;
        assert_eq!(
            both("某镇2022年工作总结及2023年工作规划", "", WorkSummaryAndPlan, None),
            (Some(2022), Some(2023))
        );
        assert_eq!(
            both("某镇二〇二三年工作总结", "", WorkSummary, None),
            (Some(2023), None)
        );
        assert_eq!(
            both(
                "政府工作报告",
                "一、2023年工作回顾\n正文\n二、2024 年工作安排",
                GovernmentWorkReport,
                None
            ),
            (Some(2023), Some(2024))
        );
        assert_eq!(
            both("2023年工作总结和2024年工作计划", "", WorkSummaryAndPlan, None),
            (Some(2023), Some(2024))
        );
        assert_eq!(
            both(
                "某镇2024年工作计划",
                "2023年全镇完成……\n一、2023年工作回顾",
                WorkPlan,
                None
            ),
            (None, Some(2024)),
            "a plan has no review year"
        );
    }

    #[test]
    fn from_the_meeting_and_the_plan_heading() {
        use DocType::*;
        assert_eq!(
            both(
                "2024年政府工作报告",
                "各位代表",
                GovernmentWorkReport,
                Some((2024, 2, "会议"))
            ),
            (Some(2023), Some(2024))
        );
        assert_eq!(
            both(
                "政府工作报告",
                "各位代表",
                GovernmentWorkReport,
                Some((2023, 12, "会议"))
            ),
            (Some(2023), Some(2024))
        );
        // 2023年是… opens the plan part, not the review.
        let text = "一、过去一年工作回顾\n全乡完成……\n二、2023年工作思路和目标任务\n2023年是开局之年。";
        assert_eq!(
            both("政府工作报告", text, GovernmentWorkReport, None),
            (Some(2022), Some(2023))
        );
    }

    #[test]
    fn from_a_plan_told_as_news() {
        use DocType::*;
        assert_eq!(
            both(
                "",
                "3月14日，某镇召开发布会。2025年某镇将紧紧围绕县委部署",
                WorkPlan,
                None
            ),
            (None, Some(2025))
        );
        assert_eq!(
            both("", "某镇将立足优势，一是抓项目，二是抓招商。", WorkPlan, None),
            (None, None)
        );
    }

    #[test]
    fn from_the_state_at_the_year_end() {
        assert_eq!(
            both(
                "某镇工作汇报",
                "截止2007年底，全镇完成投资5亿元。",
                DocType::WorkSummary,
                None
            ),
            (Some(2007), None)
        );
    }

    #[test]
    fn from_phrases_of_the_review() {
        assert_eq!(
            both(
                "乡镇政府工作报告",
                "即将过去的2020年是不寻常的一年。",
                DocType::GovernmentWorkReport,
                None
            ),
            (Some(2020), Some(2021))
        );
    }
}
