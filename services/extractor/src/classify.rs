//! Is it a township work report, and which kind.

use std::sync::LazyLock;

use regex::Regex;

/// The kinds of township report the record knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocType {
    GovernmentWorkReport,
    WorkSummary,
    WorkSummaryAndPlan,
    WorkPlan,
}

impl DocType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::GovernmentWorkReport => "government_work_report",
            DocType::WorkSummary => "work_summary",
            DocType::WorkSummaryAndPlan => "work_summary_and_plan",
            DocType::WorkPlan => "work_plan",
        }
    }
}

/// Documents that look like reports and are not: disclosure yearbooks,
/// rule-of-law reports, policy explainers, notices.
const NOT_REPORTS: &[&str] = &[
    "信息公开",
    "一图",
    "图解",
    "读懂",
    "看懂",
    "速览",
    "划重点",
    "答记者问",
    "新闻发布",
    "法治政府建设",
    "依法治理",
    "依法行政工作",
    "政策解读",
    "解读",
    "通知",
    "公告",
    "公示",
    "通报",
    "统计公报",
    "决算",
    "预算",
    "述职",
    "审计",
    "办法",
    "方案",
    "意见",
    "党风廉政",
    "党建工作",
    "人大主席团",
    "主席团工作报告",
    "人大工作报告",
    "党委工作报告",
    "纪委",
    "国民经济和社会发展计划",
    "预算执行",
    "财政收支",
    "政务公开",
    "人大工作",
    "作政府工作报告",
    "决议",
    "心得",
    "体会",
    "审议意见",
    "热议",
    "作《政府工作报告》",
];

/// A year's account of work; 工作报告 without a congress and 工作汇报 are the
/// same kind of document as a 工作总结.
const SUMMARY_WORDS: &[&str] = &[
    "工作总结",
    "总结",
    "工作报告",
    "工作汇报",
    "汇报",
    "工作情况",
    "开展情况",
    "完成情况",
    "推进情况",
];
/// Titles of a township's account of itself that name no kind of report:
/// 调研报告, 情况的调查 (the body says what it is).
const SURVEY_WORDS: &[&str] = &["调研", "调查"];
const PLAN_WORDS: &[&str] = &[
    "工作计划",
    "工作规划",
    "工作谋划",
    "工作要点",
    "工作打算",
    "工作思路",
    "工作安排",
    "计划",
    "规划",
    "谋划",
    "打算",
    "思路",
    "设想",
    "工作方向",
];

/// Whether a line names a kind of document (a report, a summary, a plan):
/// what a title does and a site name or a slogan does not.
pub fn names_a_document(line: &str) -> bool {
    ["报告", "汇报"]
        .iter()
        .chain(SUMMARY_WORDS)
        .chain(PLAN_WORDS)
        .any(|w| line.contains(w))
}

/// Why a page is not a township report: kept in the record's evidence, so
/// a user can see why a page was dropped, and counted by `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReport {
    /// The title (or an untitled page's first words) names another kind
    /// of document: 通知, 信息公开, 述职.
    OtherKind(&'static str),
    /// News of a congress, or a person's account of their own year.
    NewsOrPersonal,
    /// Neither the title nor the body's headings name a kind of report.
    NoKind,
    /// The title names a document, but not one of the report kinds.
    TitleNamesNoReport,
    /// A line or two announcing an attached file: the attachment is the report.
    AttachmentOnly,
    /// A writing template: every figure a blank, or no figure and no place at all.
    WritingTemplate,
    /// Nothing in it speaks as a township (a school's, a company's report).
    NotTownshipVoice,
    /// A county's or a city's government speaks.
    HigherLevel,
}

impl std::fmt::Display for NotReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReport::OtherKind(word) => write!(f, "names another kind of document ({word})"),
            NotReport::NewsOrPersonal => f.write_str("news of a congress or a personal account"),
            NotReport::NoKind => f.write_str("neither title nor headings name a kind of report"),
            NotReport::TitleNamesNoReport => f.write_str("the title names a document that is no report kind"),
            NotReport::AttachmentOnly => f.write_str("announces an attached file"),
            NotReport::WritingTemplate => {
                f.write_str("a writing template (every figure blank, or none and no place named)")
            }
            NotReport::NotTownshipVoice => f.write_str("does not speak as a township"),
            NotReport::HigherLevel => f.write_str("a county's or city's government speaks"),
        }
    }
}

/// The document type from the title, or from the body when the title is
/// missing or generic; or why it is no report.
pub fn doc_type(title: &str, text: &str) -> Result<DocType, NotReport> {
    let t: String = title.chars().filter(|c| !c.is_whitespace()).collect();
    // Without a title of its own, a page's first words are where a notice
    // or a 述职报告 names itself (glued to its text).
    let first_words: String = text.chars().take(if t.is_empty() { 40 } else { 0 }).collect();
    if let Some(word) = NOT_REPORTS.iter().find(|w| t.contains(*w) || first_words.contains(*w)) {
        return Err(NotReport::OtherKind(word));
    }
    if is_news_or_personal(text) {
        return Err(NotReport::NewsOrPersonal);
    }
    if t.contains("政府工作报告") {
        return Ok(DocType::GovernmentWorkReport);
    }
    // A report delivered to the congress says so in its opening, whatever
    // its title (工作报告, 报告, none).
    let opening: String = text.chars().take(1500).collect();
    let generic_title = t.is_empty() || t.contains("工作报告") || t == "报告";
    let delivered = DELIVERED.is_match(&opening) || (opening.contains("人民代表大会") && opening.contains("报告工作"));
    if generic_title && delivered {
        return Ok(DocType::GovernmentWorkReport);
    }
    if delivered && opening.contains("各位代表") {
        return Ok(DocType::GovernmentWorkReport);
    }
    let summary = SUMMARY_WORDS.iter().any(|w| t.contains(w));
    let plan = PLAN_WORDS.iter().any(|w| t.contains(w));
    // 某镇2021年发展情况及2022年工作规划: an account and a plan.
    let account = summary || t.contains("情况");
    match (summary, plan) {
        (_, true) if account => Ok(DocType::WorkSummaryAndPlan),
        // A summary that goes on to next year's plan is both.
        (true, false) if has_plan_part(text) => Ok(DocType::WorkSummaryAndPlan),
        (true, false) => Ok(DocType::WorkSummary),
        (false, true) if t.contains("工作") => Ok(DocType::WorkPlan),
        // A title that names no kind (none, a news headline, a survey)
        // leaves it to the body's own headings.
        _ if !names_a_document(&t) || SURVEY_WORDS.iter().any(|w| t.contains(w)) => from_body(text)
            .or_else(|| t.is_empty().then(|| untitled_slice(text)).flatten())
            .ok_or(NotReport::NoKind),
        // A title that names a document of no report kind (某镇发展报告,
        // 某乡“十四五”规划) is one only if the body is laid out as one.
        _ => from_body(text).ok_or(NotReport::TitleNamesNoReport),
    }
}

/// Headings (short lines, or numbered parts inside run-on text) of an
/// account of a year's work, and of the plan for the next.
static REVIEW_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)(?:^|[一二三四五六七八九十][、.．]\s*)(?:(?:19|20)\d{2}\s*年(?:度|上半年)?|上半年|今年|过去一年|一年来)?[^。\n]{0,12}?(?:工作回顾|工作总结|工作情况|工作完成情况|工作开展情况|主要工作成绩|主要工作及成效|工作成效|目标任务完成情况|各项工作完成情况|工作推进情况|主要成绩|取得的成效)",
    )
    .expect("static regex")
});
static PLAN_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)(?:^|[一二三四五六七八九十][、.．]\s*)(?:(?:19|20)\d{2}\s*年(?:度)?|下半年|明年|下一步|下步|下阶段|今后|新的一年)[^。\n]{0,12}?(?:工作计划|工作打算|工作思路|工作安排|工作部署|工作重点|重点工作|工作谋划|工作要点|主要目标|主要任务|目标任务)|(?m)^(?:[一二三四五六七八九十]{1,2}[、.．]|[（(][一二三四五六七八九十]{1,2}[)）])\s*[^。\n]{0,10}?(?:下一步|下步|下部|下阶段|今后)的?(?:工作)?(?:计划|打算|思路|安排|重点|措施|举措)",
    )
    .expect("static regex")
});

/// News of a congress (people's or party) opening: 第五次会议胜利召开.
static NEWS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:人民代表大会|代表大会)第[一二三四五六七八九十\d]{1,3}次(?:全体)?会议(?:胜利|隆重|顺利)?(?:召开|开幕|闭幕)|(?:召开|举行)了?[^。]{0,12}?第[一二三四五六七八九十\d]{1,3}届(?:人民)?代表大会第[一二三四五六七八九十\d]{1,3}次(?:全体)?会议|中共[^。，,]{2,10}第[一二三四五六七八九十\d]{1,3}次代表大会|党代表大会")
        .expect("static regex")
});
/// A person speaking of their own duties: 述职, 本人, 我是今年…调入.
const PERSONAL: &[&str] = &["述职", "本人", "我是今年", "我于"];

/// Whether the opening is news about a congress or a person's account of
/// their own year: neither is the township's report.
fn is_news_or_personal(text: &str) -> bool {
    let opening: String = text.chars().take(300).collect();
    NEWS.is_match(&opening) || PERSONAL.iter().any(|w| opening.contains(w))
}

/// Units a report's figures carry.
const FIGURE_UNITS: &str = r"(?:万元|亿元|元|%|％|万亩|亩|个|户|人|吨|公里|平方米)";
static REAL_FIGURE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\d+(?:\.\d+)?\s*{FIGURE_UNITS}")).expect("static regex"));
static MASKED_FIGURE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:[xX×＊*ＸⅩ]+|某)(?:\.[xX*]+)?\s*{FIGURE_UNITS}")).expect("static regex"));

/// A writing template (范文) is not a report: every figure is a blank
/// (XX万元, *%) and no real village is named. A masked copy of a real
/// report keeps some real figures or places.
pub fn writing_template(text: &str) -> bool {
    // Cheapest first: most pages print real figures and stop here.
    if REAL_FIGURE.find_iter(text).take(2).count() > 1 {
        return false;
    }
    MASKED_FIGURE.find_iter(text).take(2).count() >= 2 && !names_a_real_village(text)
}

/// Whether the text prints no figure at all, real or blank: a generated
/// essay about "our township" (我们乡镇在上级领导下…) reads like a report but
/// has nothing in it. Only a page that also names no place is one.
pub fn figureless(text: &str) -> bool {
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+(?:\.\d+)?\s*(\S)").expect("static regex"));
    let no_number = NUMBER.captures_iter(text).all(|c| matches!(&c[1], "年" | "月" | "日"));
    no_number && !MASKED_FIGURE.is_match(text)
}

/// Whether the text names a village of the national table. 新农村, 和农村
/// are the word 农村 (the countryside) after another word, not villages.
fn names_a_real_village(text: &str) -> bool {
    crate::division::village_names(text)
        .iter()
        .any(|name| !name.ends_with("农村"))
}

/// How a year's account opens: 2023年以来，在区委、区政府的正确领导下.
static REVIEW_OPENING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:19|20)\d{2}\s*年(?:以来|来|上半年|度)?|今年以来|一年来|过去的一年)[，,]\s*(?:在|全镇|全乡|全街道|我镇|我乡)[^。]{0,40}(?:领导下|上下)")
        .expect("static regex")
});
/// How a year's account goes on when its first lines are a title: the
/// year, then the township working under its county's (or district's)
/// leadership, or acting as a whole (全镇上下坚持, 街道办事处围绕): what a
/// township says of its own year and a news item about it rarely does.
static LEADERSHIP_OPENING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:(?:19|20)\d{2}\s*年(?:以来|来|上半年|度)?|今年以来|今年|一年来|五年来|过去的?一年|刚刚过去的一年)[，,][^。]{0,60}?(?:在[^。]{0,20}?(?:县|区|市|旗|盟)委[^。]{0,40}?领导下|(?:全镇|全乡|全街道|我镇|我乡|我街道|镇政府|乡政府|街道办事处|镇党委|乡党委|街道党工委)(?:上下|干部群众)?(?:坚持|围绕|紧扣|认真|深入|全面|紧紧))|在(?:县|区|市|旗|盟)委[^。]{0,40}?(?:正确|坚强|有力)领导下[，,][^。]{0,30}?(?:全镇|全乡|全街道|镇党委|乡党委|街道党工委|镇政府|乡政府|街道办事处)",
    )
    .expect("static regex")
});
/// How a year's plan opens: 今年工作的总体要求是, 总体工作思路是.
static PLAN_OPENING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:今年|明年|(?:19|20)\d{2}年)工作的?总体要求|(?:总体|总的)(?:工作)?思路是|主要预期目标是|(?:及|和|与|、)(?:下一步|下步|下部|下阶段|今后|明年|下半年|(?:19|20)\d{2}\s*年)(?:的)?(?:工作)?(?:计划|打算|思路|安排|设想|目标)[^。]{0,12}(?:报告|汇报|公布)")
            .expect("static regex")
});
/// A report delivered to the congress: 向大会报告工作, 向大会作…报告.
static DELIVERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"向大会(?:报告|作[^。]{0,24}报告)").expect("static regex"));
/// The voice of a county or a city about itself.
const HIGHER_VOICE: &[&str] = &[
    "我县",
    "我市",
    "我区",
    "全县人民",
    "全市人民",
    "全区人民",
    "我旗",
    "全县上下",
    "全市上下",
    "全区上下",
];

/// Whether a document whose title names no kind of report may still be a
/// township's: nothing in it speaks as a county or a city.
pub fn no_higher_voice(text: &str) -> bool {
    let opening: String = text.chars().take(5000).collect();
    !HIGHER_VOICE.iter().any(|w| opening.contains(w))
}

/// Whether the body has a plan part: a heading for next year's (or the
/// second half's) work, or the opening of one.
fn has_plan_part(text: &str) -> bool {
    PLAN_HEADING.is_match(text) || PLAN_OPENING.is_match(text)
}

/// The kind of a report without a title that says it, from the headings
/// its body opens with: a review part (工作回顾, 工作完成情况) and a plan
/// part (下一步工作打算, 2024年工作计划).
fn from_body(text: &str) -> Option<DocType> {
    let opening: String = text.chars().take(6000).collect();
    let review = REVIEW_HEADING.is_match(&opening)
        || REVIEW_OPENING.is_match(&opening)
        || LEADERSHIP_OPENING.is_match(&opening.chars().take(800).collect::<String>())
        || ((opening.contains("报告如下") || opening.contains("汇报如下"))
            && ["工作", "情况"].iter().all(|w| opening.contains(w)));
    let plan = has_plan_part(&opening);
    match (review, plan) {
        (true, true) => Some(DocType::WorkSummaryAndPlan),
        (true, false) => Some(DocType::WorkSummary),
        (false, true) => Some(DocType::WorkPlan),
        (false, false) if news_style_plan(&opening) => Some(DocType::WorkPlan),
        (false, false) => None,
    }
}

/// Points of an account: 一是, 二是, 三是.
static POINT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[一二三四五六七八九十]是").expect("static regex"));
/// What a news item prints: its reporter, its lead, its day.
static NEWS_MARKS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"记者|本报讯|\d{1,2}月\d{1,2}日").expect("static regex"));

/// A page of a paginated report that starts mid-way, with no title: the
/// township's own voice (全乡, 我镇), points made one by one (二是, 三是),
/// real figures, and nothing of a news item. A plan when it speaks more of
/// what it will do (确保, 力争, 年内) than of what it did (了).
fn untitled_slice(text: &str) -> Option<DocType> {
    let opening: String = text.chars().take(6000).collect();
    let points: std::collections::BTreeSet<&str> = POINT.find_iter(&opening).map(|m| m.as_str()).collect();
    let voiced = ["全镇", "我镇", "本镇", "全乡", "我乡", "本乡", "全街道", "我街道"]
        .iter()
        .any(|w| opening.contains(w));
    let account = points.len() >= 2
        && voiced
        && REAL_FIGURE.find_iter(&opening).take(3).count() >= 3
        && !NEWS_MARKS.is_match(&opening.chars().take(2000).collect::<String>());
    if !account {
        return None;
    }
    let future: usize = ["确保", "力争", "争创", "年内", "计划", "将"]
        .iter()
        .map(|w| opening.matches(w).count())
        .sum();
    Some(if future > opening.matches('了').count() {
        DocType::WorkPlan
    } else {
        DocType::WorkSummary
    })
}

/// The township saying what it will do: 某镇将, 我乡将, 某街道党委将.
static TOWNSHIP_WILL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\p{Han}{1,6}(?:镇|乡|街道)(?:党委|党工委|人民政府|政府|办事处)?将").expect("static regex")
});

/// A plan told as news or an interview (a leader setting out the year's
/// work): early on the township says what it will do, and the text lays
/// the plan out (一是…二是…, 目标任务, 工作计划).
fn news_style_plan(text: &str) -> bool {
    let lead: String = text.chars().take(1500).collect();
    let will = TOWNSHIP_WILL
        .find_iter(&lead)
        .any(|m| !["乡镇", "城镇", "村镇", "市镇"].iter().any(|w| m.as_str().contains(w)));
    let laid_out =
        (text.contains("一是") && text.contains("二是")) || lead.contains("目标任务") || lead.contains("工作计划");
    will && laid_out
}

/// Words only a township government uses of itself.
const TOWNSHIP_VOICE: &[&str] = &[
    "全镇",
    "我镇",
    "本镇",
    "镇党委",
    "镇人民政府",
    "镇政府",
    "镇人大",
    "全乡",
    "我乡",
    "本乡",
    "乡党委",
    "乡人民政府",
    "乡政府",
    "全街道",
    "我街道",
    "本街道",
    "街道党工委",
    "街道办事处",
    "镇村",
    "乡村两级",
    "镇村两级",
];

/// A township report speaks as a township (or its title names one): a
/// school's or a company's 工作总结 is not one.
pub fn township_voice(title: &str, text: &str) -> bool {
    let opening: String = text.chars().take(5000).collect();
    ["镇", "乡", "街道"].iter().any(|s| title.contains(s))
        || TOWNSHIP_VOICE.iter().any(|w| opening.contains(w))
        || TOWNSHIP_ACTS
            .find_iter(&opening.chars().take(1000).collect::<String>())
            .any(|m| !["乡镇", "城镇", "村镇", "市镇"].iter().any(|w| m.as_str().contains(w)))
}

/// A named township doing the year's work in the opening: 未央宫街道认真学习,
/// 某镇坚持…, as a township's own account puts it.
static TOWNSHIP_ACTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\p{{Han}}{{2,5}}(?:镇|乡|街道)(?:党委|党工委|人民政府|政府|办事处)?(?:{})",
        TOWNSHIP_ACT_WORDS.join("|")
    ))
    .expect("static regex")
});
/// What a township does in the opening of its own account.
const TOWNSHIP_ACT_WORDS: &[&str] = &[
    "认真", "坚持", "统筹", "围绕", "全力", "深入", "紧扣", "始终", "立足", "聚焦", "积极", "着力", "牢固", "紧紧",
    "以",
];

/// Whose report it is by the government that speaks: `我代表县人民政府`
/// is a county's report, not a township's.
pub fn speaks_for_higher_level(text: &str) -> bool {
    static SPEAKS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"代表\s*([\u4e00-\u9fa5]{0,8}?)(县|区|市|州|旗|省)(?:人民)?政府").expect("static regex")
    });
    let opening: String = text.chars().take(2000).collect();
    SPEAKS.is_match(&opening) && !opening.contains("镇人民政府向") && !opening.contains("乡人民政府向")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(title: &str, text: &str) -> Option<DocType> {
        doc_type(title, text).ok()
    }

    #[test]
    fn types_from_titles() {
        assert_eq!(kind("某镇2023年政府工作报告", ""), Some(DocType::GovernmentWorkReport));
        assert_eq!(
            kind("某镇2022年工作总结及2023年工作规划", ""),
            Some(DocType::WorkSummaryAndPlan)
        );
        assert_eq!(kind("某乡2023年工作总结", ""), Some(DocType::WorkSummary));
        assert_eq!(kind("某街道2024年工作要点", ""), Some(DocType::WorkPlan));
        assert_eq!(kind("某镇2023年政府信息公开工作年度报告", ""), None);
        assert_eq!(kind("某镇2023年度政府信息公开工作报告", ""), None);
        assert_eq!(kind("一图读懂｜某镇2024年政府工作报告", ""), None);
        assert_eq!(kind("某镇2022年法治政府建设报告", ""), None);
        assert_eq!(kind("关于印发某镇2024年工作要点的通知", ""), None);
        assert_eq!(
            kind("", "各位代表：现在，我代表镇人民政府向大会报告工作"),
            Some(DocType::GovernmentWorkReport)
        );
    }

    #[test]
    fn types_from_the_body_when_the_title_is_silent() {
        let both =
            "今年来，全乡上下紧紧围绕年初目标。\n一、2023年工作回顾\n（一）经济发展。\n二、2024年工作计划\n抓项目。";
        assert_eq!(kind("", both), Some(DocType::WorkSummaryAndPlan));
        let run_on = "2024年，全镇凝心聚力。 一、2024年工作完成情况 (一)经济。 二、下一步工作打算 (一)项目。";
        assert_eq!(kind("勇立潮头 跨越赶超", run_on), Some(DocType::WorkSummaryAndPlan));
        assert_eq!(
            kind("", "一、2022年主要工作成绩\n全镇完成投资。"),
            Some(DocType::WorkSummary)
        );
        // A title that names another kind of document keeps its verdict.
        assert_eq!(kind("某镇2023年政府信息公开工作年度报告", both), None);
        assert_eq!(kind("", "某镇召开会议，部署安全生产。"), None);
        // A summary that plans the next year is both.
        assert_eq!(
            kind("某镇2023年工作总结", "一、2023年工作回顾\n二、2024年工作打算\n"),
            Some(DocType::WorkSummaryAndPlan)
        );
        assert_eq!(
            kind("", "现将2023年工作开展情况及2024年工作计划报告如下：全镇上下紧紧围绕"),
            Some(DocType::WorkSummaryAndPlan)
        );
        assert_eq!(
            kind(
                "某街道2022年半年度工作总结",
                "现将上半年工作进度及下半年工作计划公布如下："
            ),
            Some(DocType::WorkSummaryAndPlan)
        );
        assert_eq!(
            kind("某镇半年工作总结", "现将半年工作开展情况及下一步工作计划作简要汇报。"),
            Some(DocType::WorkSummaryAndPlan)
        );
    }

    #[test]
    fn a_page_that_is_no_report_says_why() {
        assert_eq!(
            doc_type("关于印发某镇2024年工作要点的通知", ""),
            Err(NotReport::OtherKind("通知"))
        );
        assert_eq!(doc_type("", "某镇召开会议，部署安全生产。"), Err(NotReport::NoKind));
        assert_eq!(doc_type("某镇简介", ""), Err(NotReport::NoKind));
        assert_eq!(doc_type("某镇防汛报告", ""), Err(NotReport::TitleNamesNoReport));
        let news = "3月30日，某镇第二十届人民代表大会第五次会议胜利召开。";
        assert_eq!(doc_type("", news), Err(NotReport::NewsOrPersonal));
    }

    #[test]
    fn plan_parts_however_they_are_headed() {
        assert_eq!(
            kind("某镇2021年经济社会发展情况及2022年工作规划", ""),
            Some(DocType::WorkSummaryAndPlan)
        );
        let text = "一、主要工作\n全镇完成投资。\n（三）下步工作打算\n抓项目。";
        assert_eq!(kind("某镇2023年工作总结", text), Some(DocType::WorkSummaryAndPlan));
        let text = "一、2021年工作总结\n全镇完成投资。\n二、2022年工作部署\n抓项目。";
        assert_eq!(kind("某镇2023年工作总结", text), Some(DocType::WorkSummaryAndPlan));
        let text = "就我乡今年的工作情况、存在问题，及下部工作打算向各位领导作汇报：";
        assert_eq!(kind("政府汇报材料", text), Some(DocType::WorkSummaryAndPlan));
    }

    #[test]
    fn untitled_pages_of_an_account() {
        let done =
            "（六）组织建设进一步加强。一是狠抓了干部培训，全乡选派了30人。二是发展党员32人，植树40亩，公开率95%。";
        assert_eq!(kind("", done), Some(DocType::WorkSummary));
        let ahead = "二是确保全镇新建小康屋64户，年内改造危房220户。三是力争修复提灌站4个。";
        assert_eq!(kind("", ahead), Some(DocType::WorkPlan));
        let news = "3月5日，记者从某镇获悉：一是全镇新建道路5公里，二是改造危房20户，植树30亩。";
        assert_eq!(kind("", news), None);
    }

    #[test]
    fn accounts_opening_with_the_year_under_the_county() {
        let text = "某镇2023年工作\n2023年，某镇在县委、县政府的正确领导下，全镇上下团结一心。\n一、以项目为抓手";
        assert_eq!(kind("凝心聚力谱新篇", text), Some(DocType::WorkSummary));
        let text = "在区委、区政府的坚强领导下，街道办事处紧紧围绕年初目标。";
        assert_eq!(kind("凝心聚力谱新篇", text), Some(DocType::WorkSummary));
        let plan = "某镇工作\n2024年全镇工作的总体思路是：以项目建设为中心。";
        assert_eq!(kind("凝心聚力谱新篇", plan), Some(DocType::WorkPlan));
        let will = "会议明确了目标。某街道办事处将以项目为抓手。\n一是抓项目。\n二是抓民生。";
        assert_eq!(kind("凝心聚力谱新篇", will), Some(DocType::WorkPlan));
        // A county's own year reads the same, and speaks as a county.
        let county = "2023年，在市委的领导下，全县上下团结一心。";
        assert!(!township_voice("凝心聚力谱新篇", county) && !no_higher_voice(county));
    }

    #[test]
    fn plans_told_as_news() {
        let text = "会议明确了发展目标。某镇将立足自身优势，着力打造增长极。\n一是加快产业发展。\n二是推进城镇建设。";
        assert_eq!(kind("勇立潮头 跨越赶超", text), Some(DocType::WorkPlan));
        assert_eq!(kind("", text), Some(DocType::WorkPlan));
        // Towns in general, or a plan not laid out, are not one.
        assert_eq!(kind("", "全市乡镇将加快发展。一是抓项目。二是抓招商。"), None);
        assert_eq!(kind("", "某镇将举办灯会，欢迎游客。"), None);
    }

    #[test]
    fn templates_news_and_personal_accounts_are_not_reports() {
        assert!(writing_template(
            "全乡实现生产总值*亿元，增长*%；农民人均纯收入****元。"
        ));
        assert!(!writing_template(
            "全镇粮食播种面积4.5万亩，实现财政收入XX万元，增长8%，XX万元。"
        ));
        // A generated essay prints no figure; a real account does.
        assert!(figureless(
            "2023年，我们乡镇在上级领导的正确引导下，坚持不懈地开展了各项工作。"
        ));
        assert!(!figureless("2023年，全镇完成投资3.2亿元。"));
        assert!(!figureless("全镇实现财政收入XX万元。"));
        // 新农村 is the countryside, not a village of that name.
        assert!(writing_template("推进新农村建设，实现生产总值XX万元，增长X%。"));
        let news = "3月30日，某镇第二十届人民代表大会第五次会议胜利召开。会议听取了镇长作的政府工作报告。";
        assert_eq!(kind("", news), None);
        let news = "8月2日，某镇召开第十一届人民代表大会第六次会议。会议听取了《某镇2024年上半年政府工作报告》。";
        assert_eq!(kind("某镇2024年上半年政府工作报告", news), None);
        assert_eq!(
            kind("镇长年度工作总结", "本人继续担任镇长职务，现将本年度工作简要汇报如下"),
            None
        );
        assert!(speaks_for_higher_level("我代表镇原县政府，向大家汇报2024年的工作。"));
    }

    #[test]
    fn higher_level_speakers() {
        assert!(speaks_for_higher_level("现在，我代表县人民政府向大会报告工作"));
        assert!(!speaks_for_higher_level("现在，我代表镇人民政府向大会报告工作"));
        assert!(township_voice("2023年工作总结", "一年来，全镇上下"));
        assert!(township_voice(
            "",
            "2022年以来，在区委的领导下，某某街道认真学习贯彻党的二十大精神"
        ));
        assert!(!township_voice("", "全市乡镇认真学习贯彻"));
        assert!(!township_voice(
            "学校安全工作总结",
            "本学期，我校始终把安全工作放在首位"
        ));
    }
}
