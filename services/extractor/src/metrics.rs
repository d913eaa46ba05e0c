//! Quantitative indicator statements: 粮食播种面积5997亩, 农业生产总值超9.5亿元,
//! 宅改有偿使用费90万余元, 地区生产总值增长5.5%以上 — name, value and unit as
//! printed, normalised value and unit, qualifier, growth, actual or target.

use std::sync::LazyLock;

use regex::Regex;

use crate::numerals::parse_integer;

#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub name: String,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub value_normalized: Option<f64>,
    pub unit_normalized: Option<String>,
    pub qualifier: Option<String>,
    pub growth_pct: Option<f64>,
    pub target: bool,
    pub year: Option<i32>,
    /// Char offsets of the statement (name to unit) in the text.
    pub start: usize,
    pub end: usize,
    pub sentence: String,
}

/// Units as printed, longest first, with their normalised unit and factor.
const UNITS: &[(&str, &str, f64)] = &[
    ("万平方米", "m2", 1e4),
    ("万平方公里", "km2", 1e4),
    ("平方公里", "km2", 1.0),
    ("平方米", "m2", 1.0),
    ("万立方米", "m3", 1e4),
    ("立方米", "m3", 1.0),
    ("万人次", "person_time", 1e4),
    ("人次", "person_time", 1.0),
    ("万千瓦时", "kwh", 1e4),
    ("千瓦时", "kwh", 1.0),
    ("万户次", "household_time", 1e4),
    ("户次", "household_time", 1.0),
    ("家次", "count", 1.0),
    ("台次", "count", 1.0),
    ("万千瓦", "kw", 1e4),
    ("千瓦", "kw", 1.0),
    ("万亩", "mu", 1e4),
    ("亩", "mu", 1.0),
    ("公顷", "hectare", 1.0),
    ("亿元", "yuan", 1e8),
    ("万元", "yuan", 1e4),
    ("千元", "yuan", 1e3),
    ("元", "yuan", 1.0),
    ("个亿", "yuan", 1e8),
    ("万美元", "usd", 1e4),
    ("美元", "usd", 1.0),
    ("万公斤", "kg", 1e4),
    ("公斤", "kg", 1.0),
    ("千克", "kg", 1.0),
    ("万吨", "tonne", 1e4),
    ("吨", "tonne", 1.0),
    ("万斤", "jin", 1e4),
    ("斤", "jin", 1.0),
    ("公里", "km", 1.0),
    ("千米", "km", 1.0),
    ("米", "m", 1.0),
    ("㎡", "m2", 1.0),
    ("平米", "m2", 1.0),
    ("万人", "person", 1e4),
    ("人", "person", 1.0),
    ("名", "person", 1.0),
    ("万户", "household", 1e4),
    ("户", "household", 1.0),
    ("个百分点", "percentage_point", 1.0),
    ("%", "percent", 1.0),
    ("％", "percent", 1.0),
    ("头", "head", 1.0),
    ("只", "head", 1.0),
    ("个", "count", 1.0),
    ("家", "count", 1.0),
    ("座", "count", 1.0),
    ("处", "count", 1.0),
    ("件", "count", 1.0),
    ("栋", "count", 1.0),
    ("项", "count", 1.0),
    ("宗", "count", 1.0),
    ("条", "count", 1.0),
    ("所", "count", 1.0),
    ("台", "count", 1.0),
    ("辆", "count", 1.0),
    ("套", "count", 1.0),
    ("间", "count", 1.0),
    ("株", "count", 1.0),
    ("起", "count", 1.0),
    ("场次", "count", 1.0),
    ("场", "count", 1.0),
    ("次", "count", 1.0),
    ("期", "count", 1.0),
    ("份", "count", 1.0),
    ("轮", "count", 1.0),
    ("张", "count", 1.0),
    ("批", "count", 1.0),
    ("院", "count", 1.0),
    ("盏", "count", 1.0),
    ("眼", "count", 1.0),
    ("篇", "count", 1.0),
    ("支", "count", 1.0),
    ("册", "count", 1.0),
    ("块", "count", 1.0),
    ("剂次", "count", 1.0),
    ("剂", "count", 1.0),
    ("袋", "count", 1.0),
    ("棵", "count", 1.0),
    ("天", "day", 1.0),
    ("‰", "per_mille", 1.0),
    ("羽", "head", 1.0),
];

/// Units that measure, as opposed to count: a Chinese numeral is only read
/// as a quantity before one of these (一千二百亩, not 两个方面).
const MEASURES: &[&str] = &[
    "mu",
    "hectare",
    "yuan",
    "tonne",
    "km",
    "m",
    "m2",
    "km2",
    "m3",
    "jin",
    "person",
    "household",
];

const CHINESE_NUMERAL: &str = "零〇一二两三四五六七八九十百千万亿";
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"([0-9０-９]+(?:[.．][0-9０-９]+)?|[{CHINESE_NUMERAL}]{{2,12}}|[{MASK}]{{1,6}})"
    ))
    .expect("static regex")
});
/// What a copy prints for a figure it blanks out (XX万元, **亿元).
const MASK: &str = "xX×Ｘ*＊";
static GROWTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[，,]?\s*(?:同比|比上年|较上年|比去年|年均)?(增长|增加|提高|提升|上升|上涨|下降|减少|降低|下滑|回落|增速|增幅)(?:了|为|达到|达)?\s*([0-9０-９]+(?:[.．][0-9０-９]+)?)\s*(%|％|个百分点)(以上|左右)?").expect("static regex")
});

const QUALIFIERS_BEFORE: &[&str] = &["超过", "突破", "不低于", "不少于", "不足", "近", "约", "超", "逾"];
const QUALIFIERS_AFTER: &[&str] = &["以上", "左右", "多", "余"];
/// Words around an indicator's name that are not part of it.
const LEADING: &[&str] = &[
    "其中",
    "全年",
    "全镇",
    "全乡",
    "全街道",
    "全县",
    "今年",
    "当年",
    "累计",
    "共计",
    "合计",
    "总计",
    "共有",
    "现有",
    "拥有",
    "共",
    "完成",
    "实现",
    "达到",
    "目前",
    "已",
    "计划",
    "力争",
    "预计",
    "确保",
    "争取",
    "主要",
    "我镇",
    "本镇",
    "我乡",
    "截止",
    "截至",
    "年底",
    "的有",
    "的",
    "由",
    "从",
    "并",
    "和",
    "及",
    "同时",
    "还",
];
const TRAILING: &[&str] = &[
    "五年年均",
    "同比",
    "比上年",
    "较上年",
    "年均",
    "预计",
    "由",
    "从",
    "提高到",
    "增加到",
    "增长到",
    "提升到",
    "平均达到",
    "平均达",
    "分别达到",
    "分别达",
    "分别为",
    "达到",
    "累计",
    "共计",
    "合计",
    "总计",
    "突破",
    "超过",
    "达",
    "为",
    "约",
    "近",
    "超",
    "逾",
    "共",
    "计",
    "的",
    "平均",
    "完成",
    "实现",
    "增长到",
    "提高到",
    "提升到",
    "增加到",
];
/// Verbs whose object names the indicator when it follows the number:
/// 收取90万余元宅改有偿使用费, 投入3000余万元建成…农旅融合项目.
const VERBS: &[&str] = &[
    "收取", "投入", "投资", "筹集", "争取", "落实", "完成", "实现", "实施", "引进", "新建", "建成", "发放", "兑现",
    "整治", "清理",
];
/// Words that carry an indicator from one figure to the next: 由…提高到….
const TRANSITIONS: &[&str] = &[
    "提高到",
    "增加到",
    "增长到",
    "提升到",
    "下降到",
    "减少到",
    "降低到",
    "降至",
    "升至",
    "增至",
];

/// Measures that name no subject of their own.
const GENERIC_HEADS: &[&str] = &[
    "产值",
    "总产值",
    "产量",
    "总产量",
    "收入",
    "总收入",
    "营业收入",
    "投资",
    "总投资",
    "投入",
    "总投入",
    "金额",
    "资金",
];

/// Verbs that end the words before a figure whose object follows it
/// (推动6个重点项目, 建立165亩蔬菜种植基地, 争取1700万元水利项目资金).
const ACTIONS: &[&str] = &[
    "选派",
    "吸引",
    "帮助",
    "救助",
    "资助",
    "调解",
    "办理",
    "受理",
    "接待",
    "推动",
    "增设",
    "建立",
    "培育",
    "培育壮大",
    "完善",
    "打造",
    "新增",
    "开展",
    "举办",
    "组织",
    "培训",
    "帮扶",
    "种植",
    "栽植",
    "改造",
    "硬化",
    "安装",
    "招引",
    "化解",
    "走访",
    "排查",
    "慰问",
    "修建",
    "改建",
    "扩建",
    "创建",
    "成立",
    "吸纳",
    "带动",
    "解决",
    "租赁",
    "建设",
    "引导",
    "发展",
    "提供",
    "储备",
    "谋划",
    "申报",
    "争取",
    "落实",
    "建成",
    "实施",
    "引进",
    "新建",
    "发放",
];
/// What follows a figure and is not an object: its growth, its share.
const NOT_OBJECTS: &[&str] = &[
    "同比",
    "比上年",
    "较上年",
    "比去年",
    "增长",
    "增加",
    "下降",
    "占",
    "的",
    "以上",
    "左右",
];
/// 预计 is not among them: in a review it is the year-end estimate of what
/// was achieved (预计全年实现…); in the plan part the part says target.
/// Nor is 争取: 争取资金 in a review is money secured.
const TARGET_WORDS: &[&str] = &["力争", "预期", "确保", "计划", "目标", "拟"];
/// Words that make a whole sentence about goals, up to the figure.
const STRONG_TARGET_WORDS: &[&str] = &["力争", "预期", "确保", "目标"];

/// Phrases of achievement built from goal words: 超预期完成, 完成全年目标.
/// Nor are names that hold a goal word: 计划生育 (family planning), the
/// share of a target (占目标任务的26%), the targets worked towards
/// (围绕年度各项目标任务).
const ACHIEVED: &[&str] = &[
    "超预期",
    "完成全年目标",
    "目标任务完成",
    "完成目标任务",
    "超额完成",
    "计划生育",
    "占目标",
    "占年度目标",
    "占全年目标",
    "各项目标任务",
    // A project's planned total (计划总投资9.3亿元) is a fact about it.
    "计划总投资",
];

/// Whether `words` set a goal: one of `goal_words` outside a phrase of
/// achievement.
fn announces_goal(words: &str, goal_words: &[&str]) -> bool {
    let mut rest = words.to_string();
    for phrase in ACHIEVED {
        rest = rest.replace(phrase, "");
    }
    goal_words.iter().any(|w| rest.contains(w))
}

fn unit_at(rest: &str) -> Option<(&'static str, &'static str, f64)> {
    UNITS.iter().find(|(u, _, _)| rest.starts_with(u)).copied()
}

fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '；' | ';' | '：' | ':' | '\n' | '（' | '(' | '）' | ')' | '“' | '”' | '！' | '？' | '、'
    )
}

fn strip_words(mut name: &str) -> &str {
    loop {
        let before = name;
        for w in LEADING {
            if let Some(rest) = name.strip_prefix(w)
                && !rest.is_empty()
            {
                name = rest;
            }
        }
        for w in TRAILING {
            if let Some(rest) = name.strip_suffix(w) {
                name = rest;
            }
        }
        if name == before {
            return name;
        }
    }
}

/// The clause before byte `at` (up to the previous delimiter or metric).
fn clause_before(text: &str, floor: usize, at: usize) -> &str {
    let floor = floor.max(floor_boundary(text, at.saturating_sub(WINDOW)));
    let slice = &text[floor..at];
    let mut end = slice.len();
    loop {
        // Quotes mark a term inside a name (新增“五上”企业), not its start.
        let Some(i) = slice[..end].rfind(|c: char| is_delimiter(c) && !matches!(c, '、' | '“' | '”')) else {
            return slice;
        };
        let c = slice[i..].chars().next().map_or(' ', |c| c);
        // A short aside closed before the figure belongs to the name:
        // 国民生产总值(GDP), 固定资产投资(含制造业).
        if matches!(c, ')' | '）')
            && let Some(open) = slice[..i].rfind(['(', '（'])
            && slice[open..i].chars().count() <= ASIDE_CHARS
            && !slice[open..i].contains(|c: char| is_delimiter(c) && !matches!(c, '(' | '（' | '、'))
        {
            end = open;
            continue;
        }
        return &slice[i + c.len_utf8()..];
    }
}

/// The longest aside in brackets read as part of an indicator's name.
const ASIDE_CHARS: usize = 12;

/// No sentence end between two byte offsets.
fn same_sentence(text: &str, from: usize, to: usize) -> bool {
    from <= to && !text[from..to].contains(['。', '；', ';', '\n'])
}

fn cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// A name from the words before the number: `全年实施A、B等项目` gives
/// 实施项目; `全年完成粮食播种面积` gives 粮食播种面积.
fn name_before(clause: &str) -> String {
    // A year opening the clause dates the figure; it is not its name.
    let clause = clause.trim();
    let clause = CLAUSE_YEAR
        .find(clause)
        .filter(|y| y.start() == 0)
        .map_or(clause, |y| &clause[y.end()..]);
    // So does one closing it: 税收由2017年(1713万元).
    let clause = TRAILING_YEAR.find(clause).map_or(clause, |y| &clause[..y.start()]);
    let cleaned = strip_words(clause);
    let cleaned = TRAILING_YEAR
        .find(cleaned)
        .map_or(cleaned, |y| strip_words(&cleaned[..y.start()]));
    let tail = cleaned.rsplit(['、']).next().unwrap_or(cleaned);
    if let Some(i) = tail.rfind('等') {
        let head = strip_words(cleaned);
        let verb = VERBS.iter().find(|v| head.starts_with(*v)).copied().unwrap_or("");
        return format!("{verb}{}", &tail[i + '等'.len_utf8()..]);
    }
    strip_words(tail)
        .chars()
        .filter(|c| cjk(*c) || c.is_ascii_alphanumeric())
        .collect()
}

/// The object after the unit (`…元宅改有偿使用费，` gives 宅改有偿使用费)
/// and the byte offset in `rest` where it ends.
fn name_after(rest: &str) -> Option<(String, usize)> {
    let rest = &rest[..floor_boundary(rest, WINDOW)];
    // A figure closing its clause or a list item (生猪86501头、肉牛5141头)
    // has no object after it.
    if rest.starts_with(|c: char| is_delimiter(c) && !matches!(c, '“' | '”')) {
        return None;
    }
    let rest = rest.strip_prefix('的').unwrap_or(rest);
    let end = rest
        .find(|c: char| is_delimiter(c) && !matches!(c, '、' | '“' | '”'))
        .unwrap_or(rest.len());
    let mut phrase = &rest[..end];
    for verb in ["建成", "实施", "建设", "用于", "打造", "新建", "完成"] {
        if let Some(p) = phrase.strip_prefix(verb) {
            phrase = p;
        }
    }
    // After 等 the kind of all that is listed (休闲观光、亲子研学等农旅融合
    // 项目); without it, the first of what follows (18家升规达限企业、入库纳统).
    let phrase = match phrase.rfind('等') {
        Some(i) => &phrase[i + '等'.len_utf8()..],
        None => phrase.split('、').next().unwrap_or(phrase),
    };
    // Quotes stay inside the phrase (869名“双报到”党员), out of the name.
    let phrase: String = phrase
        .chars()
        .take_while(|c| cjk(*c) || matches!(c, '“' | '”'))
        .collect();
    // The noun phrase ends where the clause goes on: 征地工作正在进行中.
    let cut = ["工作", "任务", "正在", "已经", "已", "顺利", "全面", "得到"]
        .iter()
        .filter_map(|w| phrase.find(w))
        .min()
        .unwrap_or(phrase.len());
    let phrase = phrase[..cut].trim_end_matches(['“', '”']);
    let ends = rest_offset(rest, phrase)?;
    let name: String = phrase.chars().filter(|c| cjk(*c)).collect();
    (name.chars().count() >= 2).then_some((name, ends))
}

/// Where `phrase` (found in `rest`) ends, in bytes of `rest`.
fn rest_offset(rest: &str, phrase: &str) -> Option<usize> {
    rest.find(phrase).map(|i| i + phrase.len())
}

/// Significant digits a double keeps: every decimal of up to 15 comes back
/// unchanged from an `f64` (DBL_DIG). A longer figure is a typo or garbage
/// no township prints, and its rounded double would be a wrong value
/// presented as the printed one, so it is not read at all.
const EXACT_DIGITS: usize = 15;

/// A digit in either width.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// A full-width digit or point as its ASCII form.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '．' => '.',
        _ => c,
    }
}

/// The figure `raw` prints, exactly, or `None`.
fn parse_value(raw: &str) -> Option<f64> {
    // Full-width digits (１２.５) are the same figure.
    let ascii: String = raw.chars().map(half_width).collect();
    let raw = ascii.as_str();
    if raw.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let significant = raw
            .trim_start_matches(['0', '.'])
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        return raw.parse().ok().filter(|_| significant <= EXACT_DIGITS);
    }
    parse_integer(raw)
        .filter(|v| v.checked_ilog10().unwrap_or(0) < EXACT_DIGITS as u32)
        .map(|v| v as f64)
}

/// Byte offsets to char offsets for offsets that mostly increase: counting
/// from the last position keeps a long text linear instead of quadratic.
struct CharCursor<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl CharCursor<'_> {
    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

fn sentence_around(text: &str, start: usize, end: usize) -> String {
    let lo = floor_boundary(text, start.saturating_sub(WINDOW));
    let hi = floor_boundary(text, end + WINDOW);
    let from = text[lo..start]
        .rfind(['。', '；', '\n', ';'])
        .map_or(lo, |i| lo + i + text[lo + i..].chars().next().map_or(1, char::len_utf8));
    let to = text[end..hi].find(['。', '；', '\n', ';']).map_or(hi, |i| end + i);
    text[from..to].trim().to_string()
}

/// How far around a figure its sentence, clause and name are looked for: a
/// page that is one endless line must not make every figure scan all of it.
const WINDOW: usize = 600;

/// The largest char boundary at or below `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    text.floor_char_boundary(i.min(text.len()))
}

/// A figure as printed: its number, magnitude, unit and qualifier.
struct Figure {
    /// The number as printed read exactly (0 for a blanked one).
    value: f64,
    /// A blanked figure (XX万元).
    masked: bool,
    qualifier: Option<&'static str>,
    /// 万 or 亿 printed before the unit, and the factor it stands for.
    unit_prefix: &'static str,
    multiplier: f64,
    unit: &'static str,
    normal: &'static str,
    factor: f64,
    /// Byte offset after the unit and a qualifier that follows it.
    end: usize,
}

/// The words between a number and its unit: 余 or 多 (550多亩), 万 or 亿
/// (5.9万头), or both (90万余元).
struct Scale<'a> {
    qualifier: Option<&'static str>,
    unit_prefix: &'static str,
    multiplier: f64,
    /// What follows them, from the unit on.
    rest: &'a str,
}

impl Scale<'_> {
    fn after(mut rest: &str) -> Scale<'_> {
        let mut qualifier: Option<&'static str> = None;
        let mut multiplier = 1.0;
        // 4000余万元 / 90万余元 / 550多亩
        for q in ["余", "多"] {
            if let Some(r) = rest.strip_prefix(q) {
                qualifier = Some(q);
                rest = r;
            }
        }
        let mut unit_prefix = "";
        if qualifier.is_none() {
            for (word, factor) in [("万", 1e4), ("亿", 1e8)] {
                if let Some(r) = rest.strip_prefix(word) {
                    for q in ["余", "多"] {
                        if let Some(r2) = r.strip_prefix(q)
                            && unit_at(r2).is_some()
                        {
                            qualifier = Some(q);
                            unit_prefix = word;
                            multiplier = factor;
                            rest = r2;
                        }
                    }
                }
            }
        }
        // 5.9万头, 96万只: a magnitude before any unit; a bare 198万 (of a
        // sum of money the sentence names) keeps 万 as its printed unit.
        if unit_prefix.is_empty() && unit_at(rest).is_none() {
            for (word, factor) in [("万", 1e4), ("亿", 1e8)] {
                if let Some(r) = rest.strip_prefix(word) {
                    unit_prefix = word;
                    multiplier = factor;
                    rest = r;
                }
            }
        }
        Scale {
            qualifier,
            unit_prefix,
            multiplier,
            rest,
        }
    }
}

impl Figure {
    /// The figure whose number is at bytes `start..end` of `text`, or
    /// `None` when no unit makes the number a quantity.
    fn read(text: &str, start: usize, end: usize) -> Option<Figure> {
        let raw = &text[start..end];
        let Scale {
            mut qualifier,
            unit_prefix,
            multiplier,
            rest,
        } = Scale::after(after_spaces(&text[end..]));
        let bare_magnitude = !unit_prefix.is_empty()
            && unit_at(rest).is_none()
            && raw.starts_with(is_digit)
            && rest.starts_with(|c: char| is_delimiter(c) || c == '。' || c.is_whitespace());
        let (unit, normal, factor) = unit_at(rest).or(bare_magnitude.then_some(("", "number", 1.0)))?;
        // A blanked figure (XX万元) is kept only for the growth it gives.
        let masked = raw.chars().all(|c| MASK.contains(c));
        let chinese = !masked && !raw.starts_with(is_digit);
        if (chinese && !MEASURES.contains(&normal)) || (masked && matches!(unit, "%" | "％")) {
            return None;
        }
        let value = if masked { 0.0 } else { parse_value(raw)? };
        let unit_end = text.len() - rest.len() + unit.len();
        let mut figure_end = unit_end;
        if qualifier.is_none() {
            let after = &text[unit_end..];
            qualifier = QUALIFIERS_AFTER.iter().find(|q| after.starts_with(*q)).copied();
            if let Some(q) = qualifier {
                figure_end += q.len();
            }
        }
        Some(Figure {
            value,
            masked,
            qualifier,
            unit_prefix,
            multiplier,
            unit,
            normal,
            factor,
            end: figure_end,
        })
    }

    fn percentage(&self) -> bool {
        self.unit == "%" || self.unit == "％"
    }
}

/// `rest` without the spaces a PDF's text puts between a figure and its
/// unit (8026 万元, 1.2 亿元).
fn after_spaces(rest: &str) -> &str {
    let trimmed = rest.trim_start_matches([' ', '\u{3000}', '\u{a0}']);
    // Only before a unit or magnitude: 2023 年 stays no quantity.
    let unit_follows = unit_at(trimmed).is_some() || trimmed.starts_with(['万', '亿', '余', '多']);
    if unit_follows { trimmed } else { rest }
}

/// Whether the number at byte `start` can open a quantity: ordinals, dates
/// and codes cannot, nor the tail of a Chinese numeral longer than the
/// pattern takes (nor its head, which no unit follows).
fn starts_a_quantity(text: &str, start: usize, raw: &str) -> bool {
    let before = &text[..start];
    if before.ends_with('第') || before.ends_with(|c: char| is_digit(c) || c == '.' || c == '．') {
        return false;
    }
    raw.starts_with(is_digit) || !before.ends_with(|c: char| CHINESE_NUMERAL.contains(c))
}

/// The indicator's name and the byte where its statement ends (`end` or
/// later): the words before the figure, or for a bare verb (收取, 拆除)
/// or a total (共计891亩的征地) the object after it.
fn indicator_name(text: &str, clause_words: &str, end: usize) -> (String, usize) {
    let name = name_before(clause_words);
    let aggregated = ["共计", "合计", "累计", "总计", "共"]
        .iter()
        .any(|w| clause_words.trim_end().ends_with(w));
    let bare = name.chars().count() <= 2 || VERBS.contains(&name.as_str());
    // 全力推动6个重点项目, 沿江路段增设350个停车泊位: a verb before the figure
    // and its object after it, which names the indicator.
    // (选派了30名指导员: the verb's aspect mark is no part of it.)
    let acts = !aggregated && ACTIONS.iter().any(|v| name.trim_end_matches('了').ends_with(v))
        // 某某有限公司600亩猕猴桃种植基地, 亭子前村110亩荷花基地: who or
        // where, and what follows the figure is what it measures.
        || ["公司", "合作社", "集团", "村"].iter().any(|w| name.ends_with(w));
    if (bare || acts || (aggregated && text[end..].starts_with('的')))
        && let Some((object, object_end)) = name_after(&text[end..])
        && !NOT_OBJECTS.iter().any(|w| object.starts_with(w))
    {
        let name = match name.as_str() {
            "投入" | "投资" => format!("{object}{name}"),
            verb if bare && VERBS.contains(&verb) && !aggregated => format!("{verb}{object}"),
            _ => object,
        };
        return (name, end + object_end);
    }
    (name, end)
}

/// A target: in the plan part (`start` a char offset), or announced by its
/// own clause (计划新建…), or by a sentence that sets goals (力争, 目标) —
/// not by a passing 拟出让 elsewhere in the sentence.
fn is_target(plan: &[(usize, usize)], start: usize, clause: &str, sentence: &str, number: &str) -> bool {
    plan.iter().any(|(a, b)| (*a..*b).contains(&start))
        || announces_goal(clause, TARGET_WORDS)
        || announces_goal(
            &sentence[..sentence.find(number).unwrap_or(sentence.len())],
            STRONG_TARGET_WORDS,
        )
}

/// +1 for a word of growth, -1 for one of decline.
fn sign_of(word: &str) -> f64 {
    if matches!(word, "下降" | "减少" | "降低" | "下滑" | "回落") {
        -1.0
    } else {
        1.0
    }
}

/// The growth rate printed right after a figure that ends at byte `end`
/// (，同比增长12%) and the byte where it ends. A rate whose figure cannot
/// be read exactly is left out (and left in the text), not read as 0.
fn growth_after(text: &str, end: usize) -> (Option<f64>, usize) {
    let growth_here = GROWTH
        .captures(&text[end..])
        .and_then(|g| Some((parse_value(&g[2])?, g)));
    match growth_here {
        Some((pct, g)) => (Some(sign_of(&g[1]) * pct), end + g.get(0).map_or(0, |x| x.len())),
        None => (None, end),
    }
}

/// What a figure states: its value and unit as printed and normalised, and
/// its growth.
#[derive(Debug, Default)]
struct Reading {
    value: Option<f64>,
    unit: Option<String>,
    value_normalized: Option<f64>,
    unit_normalized: Option<String>,
    growth_pct: Option<f64>,
}

/// What `figure` states, with `growth_pct` printed after it. A percentage
/// after 增长 (增长5.5%) is a growth rate, not a level: it comes with the
/// name printed before that word, which replaces the one read before.
/// `rate` is the sign of a growth a list of rates states (分别增长).
fn reading(
    figure: &Figure,
    clause_words: &str,
    growth_pct: Option<f64>,
    rate: Option<f64>,
) -> (Reading, Option<String>) {
    let printed_unit = format!("{}{}", figure.unit_prefix, figure.unit);
    let value = figure.value;
    if figure.percentage()
        && let Some(sign) = rate
    {
        let rate = Reading {
            growth_pct: Some(sign * value),
            ..Default::default()
        };
        return (rate, None);
    }
    if figure.percentage() {
        if let Some(g) = GROWTH_BEFORE.captures(clause_words) {
            let name = strip_words(clause_words[..clause_words.len() - g[0].len()].trim())
                .chars()
                .filter(|c| cjk(*c))
                .collect();
            let rate = Reading {
                growth_pct: Some(sign_of(&g[1]) * value),
                ..Default::default()
            };
            return (rate, Some(name));
        }
        let level = Reading {
            value: Some(value),
            unit: Some(printed_unit),
            value_normalized: Some(value),
            unit_normalized: Some(figure.normal.to_string()),
            growth_pct,
        };
        return (level, None);
    }
    if figure.masked {
        return (
            Reading {
                growth_pct,
                ..Default::default()
            },
            None,
        );
    }
    let level = Reading {
        value: Some(value),
        unit: Some(printed_unit),
        value_normalized: Some(value * figure.multiplier * figure.factor),
        unit_normalized: Some(figure.normal.to_string()),
        growth_pct,
    };
    (level, None)
}

/// The statement found last: a figure with no name of its own in the same
/// sentence belongs to its indicator.
struct Previous {
    name: String,
    /// Byte offset where it ends.
    end: usize,
    /// Char offset where it starts.
    start: usize,
}

/// A name completed from the sentence's previous figure, and the start of
/// that figure's span when the name comes from it.
fn with_context(text: &str, name: String, last: &Previous, start: usize) -> (String, Option<usize>) {
    if !same_sentence(text, last.end, start) {
        return (name, None);
    }
    // 拆迁倒房78户4.1万平方米, 拆除17处违建，共计3580平方米, 由12000元
    // 提高到16403元: another figure of the same indicator, whose span
    // starts at its name.
    if name.is_empty() || TRANSITIONS.iter().any(|w| name.starts_with(w)) {
        return (last.name.clone(), Some(last.start));
    }
    // 规模以上企业14家，完成产值30.68亿元: a bare measure (产值, 投资) is
    // of what the sentence's previous figure counted; its span starts
    // there, to hold all of its name.
    if GENERIC_HEADS.contains(&name.as_str()) && !last.name.ends_with(name.as_str()) {
        return (format!("{}{name}", last.name), Some(last.start));
    }
    (name, None)
}

/// 分别 closing the words before a figure, with what is stated of them.
static RESPECTIVELY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"分别(为|是|达到|达|(?:增长|增加|提高|下降|减少|降低)了?|完成了?|实现了?)?$").expect("static regex")
});

/// Names listed before 分别 (A、B和C年均增长分别为6.8%、5.5%和2%), handed
/// out in turn to the figures of that sentence.
#[derive(Debug, Default)]
struct Respective {
    names: Vec<String>,
    next: usize,
    /// The sign of the growth the figures are rates of, when they are.
    rate: Option<f64>,
    /// Byte offset where the sentence ends.
    until: usize,
}

impl Respective {
    /// The listed name of the figure at byte `at`, and whether it is a rate.
    fn next_name(&mut self, text: &str, clause_words: &str, at: usize) -> Option<(String, Option<f64>)> {
        if let Some(c) = RESPECTIVELY.captures(clause_words.trim_end()) {
            let subject = &clause_words.trim_end()[..c.get(0).map_or(0, |m| m.start())];
            let growth = GROWTH_BEFORE.captures(subject);
            let subject = growth
                .as_ref()
                .map_or(subject, |g| &subject[..g.get(0).map_or(0, |m| m.start())]);
            let said = c.get(1).map_or("", |m| m.as_str());
            let word = growth.as_ref().map(|g| g[1].to_string()).or_else(|| {
                GROWTH_BEFORE
                    .captures(said.trim_end_matches('了'))
                    .map(|g| g[1].to_string())
            });
            let names: Vec<String> = subject
                .split(['、', '和', '及', '与'])
                .map(|n| strip_words(n.trim()).chars().filter(|c| cjk(*c)).collect::<String>())
                .collect();
            *self = Respective::default();
            if names.len() < 2 || names.iter().any(|n| n.chars().count() < 2) {
                return None;
            }
            let end = text[at..].find(['。', '；', ';', '\n']).map_or(text.len(), |i| at + i);
            *self = Respective {
                names,
                next: 1,
                rate: word.map(|w| sign_of(&w)),
                until: end,
            };
            return Some((self.names[0].clone(), self.rate));
        }
        let between = clause_words.trim();
        if at < self.until
            && self.next < self.names.len()
            && between
                .chars()
                .all(|c| matches!(c, '、' | '和' | '及' | '与' | '，' | ','))
        {
            self.next += 1;
            return Some((self.names[self.next - 1].clone(), self.rate));
        }
        None
    }
}

/// Every indicator statement in `text`. `plan` holds the char ranges of the
/// plan part (targets); `years` the review and plan years for statements
/// that name none.
pub fn find(text: &str, plan: &[(usize, usize)], review_year: Option<i32>, plan_year: Option<i32>) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let mut floor = 0usize;
    let mut last = Previous {
        name: String::new(),
        end: usize::MAX,
        start: 0,
    };
    let mut cursor = CharCursor {
        text,
        byte: 0,
        chars: 0,
    };
    let mut listed = Respective::default();
    for m in NUMBER.find_iter(text) {
        if m.start() < floor || !starts_a_quantity(text, m.start(), m.as_str()) {
            continue;
        }
        let Some(mut figure) = Figure::read(text, m.start(), m.end()) else {
            continue;
        };
        let clause = clause_before(text, floor, m.start());
        let mut clause_words = clause;
        if let Some(q) = QUALIFIERS_BEFORE.iter().find(|q| clause.ends_with(*q)) {
            figure.qualifier = Some(q);
            clause_words = &clause[..clause.len() - q.len()];
        }
        let (name, span_end) = indicator_name(text, clause_words, figure.end);
        let (name, inherited_start) = with_context(text, name, &last, m.start());
        let (mut name, rate) = listed
            .next_name(text, clause_words, m.start())
            .map_or((name, None), |(n, rate)| (n, rate));
        if name.is_empty() {
            floor = figure.end;
            continue;
        }
        let first = name.chars().next().unwrap_or(' ');
        let name_start = m.start() - clause.len() + clause.find(first).unwrap_or(0);
        let start = inherited_start.unwrap_or_else(|| cursor.at(name_start.min(m.start())));
        let sentence = sentence_around(text, m.start(), figure.end);
        let target = is_target(plan, start, clause, &sentence, m.as_str());
        let (growth_pct, end) = growth_after(text, figure.end);
        let year = CLAUSE_YEAR
            .captures(clause)
            .and_then(|c| c[1].parse().ok())
            .or(if target { plan_year } else { review_year });
        let (reading, rate_name) = reading(&figure, clause_words, growth_pct, rate);
        if let Some(rate_name) = rate_name {
            name = rate_name;
        }
        if name.is_empty() || (figure.masked && reading.growth_pct.is_none()) {
            floor = end;
            continue;
        }
        last = Previous {
            name: name.clone(),
            end,
            start,
        };
        out.push(Found {
            name,
            value: reading.value,
            unit: reading.unit,
            value_normalized: reading.value_normalized,
            unit_normalized: reading.unit_normalized,
            qualifier: figure.qualifier.map(str::to_string),
            growth_pct: reading.growth_pct,
            target,
            year,
            start,
            end: cursor.at(end.max(span_end)),
            sentence,
        });
        floor = end;
    }
    out
}

static TRAILING_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:19|20)\d{2}\s*年(?:底|末|度)?$").expect("static regex"));
static CLAUSE_YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})\s*年").expect("static regex"));
static GROWTH_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(增长|增加|提高|提升|上升|上涨|下降|减少|降低|下滑|回落|增速|增幅)(?:了|为|达到|达)?$")
        .expect("static regex")
});

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Found {
        let found = find(text, &[], Some(2023), Some(2024));
        assert!(!found.is_empty(), "nothing in {text}");
        found[0].clone()
    }

    #[test]
    fn a_blanked_figure_keeps_its_growth_only() {
        let found = find(
            "全镇实现地区生产总值XX万元，同比增长8%；财政收入**万元。",
            &[],
            Some(2023),
            Some(2024),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(
            (f.name.as_str(), f.value, f.unit.as_deref(), f.growth_pct),
            ("地区生产总值", None, None, Some(8.0))
        );
    }

    #[test]
    fn spaces_before_a_unit_and_lists_of_figures() {
        let found = find(
            "工业增加值 1.2 亿元,同比增长 3.09%;财政收入 7352 万元。",
            &[],
            Some(2023),
            None,
        );
        let got: Vec<_> = found
            .iter()
            .map(|f| (f.name.as_str(), f.value, f.unit.as_deref(), f.growth_pct))
            .collect();
        assert_eq!(
            got,
            [
                ("工业增加值", Some(1.2), Some("亿元"), Some(3.09)),
                ("财政收入", Some(7352.0), Some("万元"), None)
            ]
        );
        assert!(find("2023 年全镇", &[], None, None).is_empty());
        let found = find("累计出栏生猪86501头、肉牛5141头、家禽53.5万羽。", &[], None, None);
        let names: Vec<_> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["出栏生猪", "肉牛", "家禽"]);
    }

    #[test]
    fn figures_stated_respectively() {
        let found = find(
            "工业总产值、规模以上工业产值和公共财政预算收入五年年均增长分别为6.8%、5.5%和2%。",
            &[],
            None,
            None,
        );
        let got: Vec<_> = found.iter().map(|f| (f.name.as_str(), f.value, f.growth_pct)).collect();
        assert_eq!(
            got,
            [
                ("工业总产值", None, Some(6.8)),
                ("规模以上工业产值", None, Some(5.5)),
                ("公共财政预算收入", None, Some(2.0))
            ]
        );
        let found = find("粮食面积和蔬菜面积分别达到5000亩、3000亩。", &[], None, None);
        let got: Vec<_> = found.iter().map(|f| (f.name.as_str(), f.value)).collect();
        assert_eq!(got, [("粮食面积", Some(5000.0)), ("蔬菜面积", Some(3000.0))]);
    }

    #[test]
    fn full_width_digits() {
        let f = one("实现财政收入４７２０．５万元，同比增长１２％。");
        assert_eq!(
            (f.value, f.unit.as_deref(), f.growth_pct),
            (Some(4720.5), Some("万元"), Some(12.0))
        );
    }

    #[test]
    fn more_units_and_words_of_growth() {
        assert_eq!(one("安装路灯200盏。").unit.as_deref(), Some("盏"));
        assert_eq!(one("全年用电量1.2万千瓦时。").unit.as_deref(), Some("万千瓦时"));
        assert_eq!(one("慰问困难群众300户次。").unit.as_deref(), Some("户次"));
        let f = one("工业用电量同比下滑3.5%。");
        assert_eq!((f.name.as_str(), f.growth_pct), ("工业用电量", Some(-3.5)));
        assert_eq!(one("税收收入1200万元，同比上涨8%。").growth_pct, Some(8.0));
    }

    #[test]
    fn a_figure_reached_from_another() {
        let found = find("农民人均纯收入由12000元提高到16403元。", &[], None, None);
        let got: Vec<_> = found.iter().map(|f| (f.name.as_str(), f.value)).collect();
        assert_eq!(
            got,
            [("农民人均纯收入", Some(12000.0)), ("农民人均纯收入", Some(16403.0))]
        );
        let found = find("项目总投入600万元，总投入5000万元。", &[], None, None);
        assert_eq!(found[1].name, "总投入");
    }

    #[test]
    fn a_bare_measure_is_of_what_the_sentence_counted() {
        let found = find("规模以上企业14家，完成产值30.68亿元。实现产值5亿元。", &[], None, None);
        let names: Vec<_> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["规模以上企业", "规模以上企业产值", "产值"]);
    }

    #[test]
    fn goal_words_inside_names_set_no_goal() {
        assert!(!announces_goal("计划生育率", TARGET_WORDS));
        assert!(!announces_goal(
            "紧紧围绕年度各项目标任务，完成财政收入",
            STRONG_TARGET_WORDS
        ));
        assert!(announces_goal("力争完成财政收入", STRONG_TARGET_WORDS));
        assert!(!one("计划生育率96.05%。").target);
        assert!(!one("新增在建项目5个，计划总投资9.3亿元。").target);
    }

    #[test]
    fn a_verb_before_the_figure_names_it_by_its_object() {
        let f = one("全力推动6个重点项目，");
        assert_eq!(
            (f.name.as_str(), f.value, f.unit.as_deref()),
            ("重点项目", Some(6.0), Some("个"))
        );
        let f = one("建立165亩蔬菜种植基地。");
        assert_eq!(f.name, "蔬菜种植基地");
        assert_eq!(one("成功推动18家升规达限企业、入库纳统。").name, "升规达限企业");
        assert_eq!(one("机关共选派了30余名新农村建设指导员。").name, "新农村建设指导员");
        assert_eq!(one("租赁亭子前村110亩荷花基地。").name, "荷花基地");
        assert_eq!(one("全镇共有行政村12个。").name, "行政村");
        assert_eq!(one("全年新增“五上”企业27家。").name, "新增五上企业");
        assert_eq!(one("组织869名“双报到”党员下沉社区。").name, "双报到党员下沉社区");
        // Its growth is no object.
        let f = one("新增10家同比增长5%。");
        assert_eq!((f.name.as_str(), f.growth_pct), ("新增", Some(5.0)));
        let f = one("覆盖党员群众1万余人次。");
        assert_eq!(
            (f.value, f.unit.as_deref(), f.qualifier.as_deref()),
            (Some(1.0), Some("万人次"), Some("余"))
        );
        assert_eq!(one("加强针接种10万剂次。").unit.as_deref(), Some("万剂次"));
    }

    #[test]
    fn names_values_units_and_qualifiers() {
        let f = one("全年完成粮食播种面积5997亩，完成生猪存栏2011头。");
        assert_eq!(
            (f.name.as_str(), f.value, f.unit.as_deref()),
            ("粮食播种面积", Some(5997.0), Some("亩"))
        );
        let f = one("农业生产总值超9.5亿元，");
        assert_eq!(
            (f.name.as_str(), f.qualifier.as_deref(), f.value_normalized),
            ("农业生产总值", Some("超"), Some(9.5e8))
        );
        let f = one("农民人均纯收入近3.5万元。");
        assert_eq!((f.qualifier.as_deref(), f.unit.as_deref()), (Some("近"), Some("万元")));
        let f = one("清运生活垃圾1720余吨。");
        assert_eq!((f.name.as_str(), f.qualifier.as_deref()), ("清运生活垃圾", Some("余")));
        let f = one("投入3000余万元建成休闲观光、亲子研学等农旅融合项目18个");
        assert_eq!(
            (f.name.as_str(), f.value, f.unit.as_deref(), f.qualifier.as_deref()),
            ("农旅融合项目投入", Some(3000.0), Some("万元"), Some("余"))
        );
        let f = one("全镇已收取90万余元宅改有偿使用费，完成比例达92%");
        assert_eq!(
            (f.name.as_str(), f.value, f.unit.as_deref(), f.qualifier.as_deref()),
            ("收取宅改有偿使用费", Some(90.0), Some("万元"), Some("余"))
        );
        let f = one("全年实施乡村振兴、三线整治、孔家大桥等项目45个。");
        assert_eq!(
            (f.name.as_str(), f.value, f.unit.as_deref()),
            ("实施项目", Some(45.0), Some("个"))
        );
        let f = one("整治抛荒地一千二百亩。");
        assert_eq!(f.value, Some(1200.0));
    }

    #[test]
    fn growth_rates_and_targets() {
        let found = find(
            "主要目标建议为:全镇地区生产总值增长5.5%以上,规模以上固定资产投资1亿元,",
            &[],
            Some(2023),
            Some(2024),
        );
        let gdp = &found[0];
        assert_eq!(
            (
                gdp.name.as_str(),
                gdp.value,
                gdp.growth_pct,
                gdp.qualifier.as_deref(),
                gdp.target
            ),
            ("地区生产总值", None, Some(5.5), Some("以上"), true)
        );
        assert_eq!(gdp.year, Some(2024));
        assert_eq!(found[1].name, "规模以上固定资产投资");
        let f = one("实现财政收入4720万元，同比增长12%；");
        assert_eq!((f.value, f.growth_pct), (Some(4720.0), Some(12.0)));
    }

    #[test]
    fn not_quantities() {
        assert!(find("第十八届人民代表大会第六次会议", &[], None, None).is_empty());
        assert!(find("2023年是开局之年，两个方面", &[], None, None).is_empty());
        let f = one("拆迁倒房78户4.1万平方米");
        assert_eq!(f.name, "拆迁倒房");
        assert_eq!(find("拆迁倒房78户4.1万平方米", &[], None, None)[1].name, "拆迁倒房");
        // More digits than a double keeps: left out, not rounded.
        assert!(find(&format!("收入{}元", "9".repeat(40)), &[], None, None).is_empty());
        assert!(find(&format!("收入{}元", "9".repeat(16)), &[], None, None).is_empty());
        assert_eq!(
            one(&format!("收入{}元", "9".repeat(15))).value,
            Some(999_999_999_999_999.0)
        );
        assert_eq!(one("收入0.000000000000001元").value, Some(1e-15));
        let f = one(&format!("实现财政收入4720万元，同比增长{}%；", "9".repeat(40)));
        assert_eq!((f.value, f.growth_pct), (Some(4720.0), None));
    }
}
