//! Scoring records against hand-checked labels, exactly as the reference
//! scorer `tests/corpus/score.py` does (a test keeps the two in step):
//! per-field accuracy over every scalar gold field (a value where the label
//! says null is wrong), metric recall, and wrong values among filled fields.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

const FIELDS: &[(&str, &[&str])] = &[
    ("is_report", &["is_report"]),
    ("doc_type", &["doc_type"]),
    ("title", &["title"]),
    ("township", &["division.township", "township"]),
    ("county", &["division.county", "county"]),
    ("city", &["division.city", "city"]),
    ("province", &["division.province", "province"]),
    ("division_code", &["division.code", "division_code"]),
    ("review_year", &["review_year"]),
    ("plan_year", &["plan_year"]),
    ("published_date", &["source.published_date", "published_date"]),
    ("publisher", &["source.publisher", "publisher"]),
    ("meeting_date", &["meeting.date", "meeting_date"]),
    ("congress.term", &["meeting.term", "congress.term"]),
    ("congress.session", &["meeting.session", "congress.session"]),
    ("speaker.name", &["speaker.name"]),
    ("speaker.title", &["speaker.title"]),
    ("source_kind", &["source.source_kind", "source_kind"]),
    ("truncated", &["truncated"]),
    ("placeholder_names", &["placeholder_names"]),
];
const DATES: &[&str] = &["published_date", "meeting_date"];
const DIVISION: &[&str] = &["township", "county", "city", "province", "division_code"];

/// The scores of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub documents: usize,
    pub missing: usize,
    pub fields_ok: usize,
    pub fields_total: usize,
    pub metrics_found: usize,
    pub metrics_total: usize,
    pub filled: usize,
    pub wrong_filled: usize,
    pub wrong_codes: usize,
    /// Labelled reports, and those the record also calls a report.
    pub reports: usize,
    pub reports_found: usize,
    /// Records that call a report what the label says is not one.
    pub false_reports: usize,
    /// Labelled reports the records dropped, counted by the reason each
    /// record gives (its `is_report` evidence): which rule loses reports,
    /// readable without reading the pages.
    pub missed_by_reason: BTreeMap<String, usize>,
    /// Non-reports called reports, counted by the kind they were given.
    pub false_by_kind: BTreeMap<String, usize>,
    pub per_field: BTreeMap<String, (usize, usize)>,
    /// One line per miss, as `score.py --show` prints them.
    pub misses: Vec<String>,
}

impl Report {
    pub fn field_accuracy(&self) -> f64 {
        if self.fields_total == 0 {
            0.0
        } else {
            self.fields_ok as f64 / self.fields_total as f64
        }
    }

    /// Of the labelled reports, the share the records call reports (a
    /// report missed here is one the crawl drops).
    pub fn report_recall(&self) -> f64 {
        ratio(self.reports_found, self.reports)
    }

    /// Of the records that call themselves reports, the share that are.
    pub fn report_precision(&self) -> f64 {
        ratio(self.reports_found, self.reports_found + self.false_reports)
    }

    /// Wrong values among the fields a record filled.
    pub fn wrong_share(&self) -> f64 {
        ratio(self.wrong_filled, self.filled)
    }

    pub fn metric_recall(&self) -> f64 {
        if self.metrics_total == 0 {
            0.0
        } else {
            self.metrics_found as f64 / self.metrics_total as f64
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for miss in &self.misses {
            writeln!(f, "  {miss}")?;
        }
        let per: Vec<String> = self
            .per_field
            .iter()
            .map(|(k, (ok, n))| format!("{k} {ok}/{n}"))
            .collect();
        writeln!(f, "per field: {}", per.join(", "))?;
        let counts = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !self.missed_by_reason.is_empty() {
            writeln!(f, "reports missed, by reason: {}", counts(&self.missed_by_reason))?;
        }
        if !self.false_by_kind.is_empty() {
            writeln!(
                f,
                "non-reports called reports, by kind: {}",
                counts(&self.false_by_kind)
            )?;
        }
        writeln!(
            f,
            "reports found {}/{} (recall {:.3}); non-reports called reports {} (precision {:.3})",
            self.reports_found,
            self.reports,
            self.report_recall(),
            self.false_reports,
            self.report_precision()
        )?;
        writeln!(
            f,
            "wrong among filled fields: {}/{}; wrong division codes: {}",
            self.wrong_filled, self.filled, self.wrong_codes
        )?;
        writeln!(
            f,
            "documents {} missing {}; field accuracy {:.3} ({}/{}); metric recall {:.3} ({}/{})",
            self.documents,
            self.missing,
            self.field_accuracy(),
            self.fields_ok,
            self.fields_total,
            self.metric_recall(),
            self.metrics_found,
            self.metrics_total
        )
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur.as_object()?.get(key)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn norm_str(s: &str) -> Option<Value> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (!s.is_empty()).then_some(Value::String(s))
}

fn norm_date(v: &Value) -> Option<Value> {
    let s = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    let re = regex::Regex::new(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?").expect("static regex");
    match re.captures(&s) {
        Some(c) => {
            let month: u32 = c[2].parse().ok()?;
            let mut out = format!("{}-{month:02}", &c[1]);
            if let Some(d) = c.get(3) {
                out.push_str(&format!("-{:02}", d.as_str().parse::<u32>().ok()?));
            }
            Some(Value::String(out))
        }
        None => norm_str(&s),
    }
}

fn norm(v: Option<&Value>, key: &str) -> Option<Value> {
    let v = v?;
    if DATES.contains(&key) {
        return norm_date(v);
    }
    match v {
        Value::String(s) => norm_str(s),
        other => Some(other.clone()),
    }
}

fn empty(v: &Option<Value>) -> bool {
    match v {
        None => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

fn unit_base(unit: &str) -> Option<(&'static str, f64)> {
    Some(match unit.trim() {
        "元" => ("CNY", 1.0),
        "万元" => ("CNY", 1e4),
        "亿元" => ("CNY", 1e8),
        "千元" => ("CNY", 1e3),
        "亩" => ("mu", 1.0),
        "万亩" => ("mu", 1e4),
        "公顷" => ("ha", 1.0),
        "公里" | "千米" | "km" => ("km", 1.0),
        "米" => ("m", 1.0),
        "平方米" | "㎡" | "平米" => ("m2", 1.0),
        "万平方米" | "万㎡" => ("m2", 1e4),
        "吨" => ("t", 1.0),
        "万吨" => ("t", 1e4),
        "斤" => ("jin", 1.0),
        "万斤" => ("jin", 1e4),
        "人" | "名" => ("person", 1.0),
        "万人" => ("person", 1e4),
        "人次" => ("person_time", 1.0),
        "万人次" => ("person_time", 1e4),
        "户" => ("household", 1.0),
        "个" | "家" | "座" | "件" | "处" | "栋" | "起" => ("count", 1.0),
        "头" => ("head", 1.0),
        "%" | "％" => ("percent", 1.0),
        _ => return None,
    })
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn norm_unit(value: Option<f64>, unit: Option<&str>) -> Option<(String, f64)> {
    let (v, u) = (value?, unit?);
    Some(match unit_base(u) {
        Some((base, factor)) => (base.to_string(), round4(v * factor)),
        None => (u.trim().to_string(), round4(v)),
    })
}

fn name_ok(gold: &str, predicted: Option<&str>) -> bool {
    let Some(p) = predicted.filter(|p| !p.is_empty()) else {
        return false;
    };
    let g: std::collections::HashSet<char> = gold.chars().collect();
    let p: std::collections::HashSet<char> = p.chars().collect();
    let shared = g.intersection(&p).count() as f64;
    shared >= (g.len() as f64 / 2.0).max(1.0)
}

fn metric_found(gold: &Value, predicted: &[Value]) -> bool {
    let kind = gold.get("kind").and_then(Value::as_str);
    let gold_norm = norm_unit(
        gold.get("value").and_then(Value::as_f64),
        gold.get("unit").and_then(Value::as_str),
    );
    let gold_name = gold.get("name").and_then(Value::as_str).unwrap_or("");
    predicted.iter().any(|p| {
        if p.get("kind").and_then(Value::as_str).unwrap_or("actual") != kind.unwrap_or("") {
            return false;
        }
        if !name_ok(gold_name, p.get("name").and_then(Value::as_str)) {
            return false;
        }
        if let Some((gb, gv)) = &gold_norm {
            if let Some((pb, pv)) = norm_unit(
                p.get("value").and_then(Value::as_f64),
                p.get("unit").and_then(Value::as_str),
            ) {
                return pb == *gb && (pv - gv).abs() <= 1e-6 * gv.abs().max(1.0);
            }
            false
        } else if let Some(g) = gold.get("growth_pct").and_then(Value::as_f64) {
            p.get("growth_pct")
                .and_then(Value::as_f64)
                .is_some_and(|v| (v - g).abs() < 1e-6)
        } else {
            false
        }
    })
}

fn record_key(record: &Value) -> Option<String> {
    for path in ["source.path", "id", "source.url"] {
        if let Some(v) = get(record, path).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            let base = v.trim_end_matches('/').rsplit('/').next().unwrap_or(v);
            let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
            return Some(stem.to_string());
        }
    }
    None
}

/// Every `*.json` label in `gold_dir`, by file stem.
fn read_golds(gold_dir: &Path) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut golds: BTreeMap<String, Value> = BTreeMap::new();
    let mut entries: Vec<_> = std::fs::read_dir(gold_dir)
        .map_err(|e| anyhow::anyhow!("cannot read the gold directory {}: {e}", gold_dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        golds.insert(stem, value);
    }
    Ok(golds)
}

/// What a record filled in for a page it lacks.
const MISSING: &str = "<missing>";

/// The gold and the predicted value of `field` (read at `paths` of the
/// record), normalised. A record that resolved its division by inference
/// is held to the label's inferred division; a label without a congress
/// or a speaker expects neither.
fn field_values(field: &str, paths: &[&str], gold: &Value, record: Option<&Value>) -> (Option<Value>, Option<Value>) {
    let mut gv = norm(get(gold, field), field);
    if DIVISION.contains(&field)
        && gold.get("inferred_division").is_some_and(|v| !v.is_null())
        && record
            .and_then(|r| get(r, "division.resolution"))
            .and_then(Value::as_str)
            == Some("inferred")
    {
        gv = norm(gold.get("inferred_division").and_then(|d| get(d, field)), field);
    }
    if field.starts_with("congress.") && gold.get("congress").is_none_or(Value::is_null) {
        gv = None;
    }
    if field.starts_with("speaker.") && gold.get("speaker").is_none_or(Value::is_null) {
        gv = None;
    }
    let pv = match record {
        Some(r) => paths.iter().find_map(|p| norm(get(r, p), field)),
        None => Some(Value::String(MISSING.into())),
    };
    (gv, pv)
}

/// Whether a predicted value matches the gold one: equal, both empty, a
/// false flag left unset, or numbers within rounding.
fn field_ok(field: &str, gv: &Option<Value>, pv: &Option<Value>) -> bool {
    if let (Some(Value::Number(g)), Some(Value::Number(p))) = (gv, pv) {
        return (g.as_f64().unwrap_or(f64::NAN) - p.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9;
    }
    gv == pv
        || (gv.is_none() && empty(pv))
        || (*gv == Some(Value::Bool(false)) && pv.is_none() && (field == "truncated" || field == "placeholder_names"))
}

impl Report {
    /// Scores the scalar fields of one page (only is_report for a page
    /// that is no report).
    fn score_fields(&mut self, key: &str, gold: &Value, record: Option<&Value>, gold_is_report: bool) {
        for (field, paths) in FIELDS {
            if !gold_is_report && *field != "is_report" {
                continue;
            }
            if *field == "division_code" && gold.get("division_code").is_none() {
                continue;
            }
            let (gv, pv) = field_values(field, paths, gold, record);
            let ok = field_ok(field, &gv, &pv);
            self.fields_total += 1;
            self.fields_ok += usize::from(ok);
            let missing_marker = Some(Value::String(MISSING.into()));
            let filled = !empty(&pv) && pv != missing_marker && pv != Some(Value::Bool(false));
            if filled {
                self.filled += 1;
                if !ok {
                    self.wrong_filled += 1;
                    self.wrong_codes += usize::from(*field == "division_code");
                }
            }
            let entry = self.per_field.entry(field.to_string()).or_default();
            entry.0 += usize::from(ok);
            entry.1 += 1;
            if !ok {
                let show = |v: &Option<Value>| v.as_ref().map_or("None".to_string(), |v| v.to_string());
                self.misses
                    .push(format!("{key} {field}: gold={} got={}", show(&gv), show(&pv)));
            }
        }
    }

    /// Scores the labelled metrics of one report.
    fn score_metrics(&mut self, key: &str, gold: &Value, record: Option<&Value>) {
        let predicted = record
            .and_then(|r| r.get("metrics"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for metric in gold.get("metrics").and_then(Value::as_array).into_iter().flatten() {
            self.metrics_total += 1;
            let hit = metric_found(metric, &predicted);
            self.metrics_found += usize::from(hit);
            if !hit {
                self.misses.push(format!(
                    "{key} metric missed: {} {}{} {}",
                    metric.get("name").and_then(Value::as_str).unwrap_or(""),
                    metric.get("value").map_or("None".into(), |v| v.to_string()),
                    metric.get("unit").and_then(Value::as_str).unwrap_or(""),
                    metric.get("kind").and_then(Value::as_str).unwrap_or("")
                ));
            }
        }
    }
}

/// Scores `records` (their JSON form) against every `*.json` label in `gold_dir`.
pub fn score(gold_dir: &Path, records: &[Value]) -> anyhow::Result<Report> {
    let golds = read_golds(gold_dir)?;
    let by_key: BTreeMap<String, &Value> = records.iter().filter_map(|r| Some((record_key(r)?, r))).collect();
    let mut report = Report {
        documents: golds.len(),
        ..Default::default()
    };
    for (key, gold) in &golds {
        let record = by_key.get(key).copied();
        if record.is_none() {
            report.missing += 1;
        }
        let gold_is_report = gold.get("is_report").and_then(Value::as_bool).unwrap_or(true);
        let called_report = record.and_then(|r| r.get("is_report")).and_then(Value::as_bool) == Some(true);
        report.reports += usize::from(gold_is_report);
        report.reports_found += usize::from(gold_is_report && called_report);
        report.false_reports += usize::from(!gold_is_report && called_report);
        if gold_is_report && !called_report {
            *report.missed_by_reason.entry(rejection_reason(record)).or_default() += 1;
        }
        if !gold_is_report && called_report {
            let kind = record
                .and_then(|r| r.get("doc_type"))
                .and_then(Value::as_str)
                .unwrap_or("none");
            *report.false_by_kind.entry(kind.to_string()).or_default() += 1;
        }
        report.score_fields(key, gold, record, gold_is_report);
        if gold_is_report {
            report.score_metrics(key, gold, record);
        }
    }
    Ok(report)
}

/// The reason a record gives for not being a report ("no record" when
/// there is none).
fn rejection_reason(record: Option<&Value>) -> String {
    let Some(record) = record else {
        return "no record".into();
    };
    record
        .get("evidence")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| e.get("field").and_then(Value::as_str) == Some("is_report"))
        .and_then(|e| e.get("quote").and_then(Value::as_str))
        .unwrap_or("no reason given")
        .to_string()
}

/// A labelled corpus: documents, their gold labels (same file stem) and,
/// where known, the address each document was published at.
///
/// On disk, `ROOT/docs/NAME.{txt,html}`, `ROOT/gold/NAME.json` and an
/// optional `ROOT/urls.tsv` of `NAME<TAB>URL` lines: the address is input
/// (a crawled page has one), so it lives beside the documents, not in the
/// labels.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub docs: std::path::PathBuf,
    pub gold: std::path::PathBuf,
    pub urls: BTreeMap<String, url::Url>,
}

impl Corpus {
    /// The corpus laid out under `root` as described above.
    pub fn at(root: &Path) -> anyhow::Result<Corpus> {
        let urls_file = root.join("urls.tsv");
        let urls = if urls_file.exists() {
            read_urls(&urls_file)?
        } else {
            BTreeMap::new()
        };
        Ok(Corpus {
            docs: root.join("docs"),
            gold: root.join("gold"),
            urls,
        })
    }

    /// The documents, sorted by name.
    pub fn files(&self) -> anyhow::Result<Vec<std::path::PathBuf>> {
        let mut files: Vec<_> = std::fs::read_dir(&self.docs)
            .map_err(|e| anyhow::anyhow!("cannot read the documents directory {}: {e}", self.docs.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "html" || e == "htm"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// The address `file` was published at, when the corpus knows it.
    pub fn url_of(&self, file: &Path) -> Option<&url::Url> {
        self.urls.get(file.file_stem()?.to_str()?)
    }

    /// Extracts every document (with its address) and scores the records.
    pub fn score(&self) -> anyhow::Result<(Vec<Value>, Report)> {
        let records = self
            .files()?
            .iter()
            .map(|f| Ok(serde_json::to_value(crate::extract_file(f, self.url_of(f))?)?))
            .collect::<anyhow::Result<Vec<Value>>>()?;
        let report = score(&self.gold, &records)?;
        Ok((records, report))
    }
}

/// Reads `NAME<TAB>URL` lines; blank lines and `#` comments are skipped.
pub fn read_urls(path: &Path) -> anyhow::Result<BTreeMap<String, url::Url>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut urls = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, raw) = line
            .split_once('\t')
            .ok_or_else(|| anyhow::anyhow!("{}:{}: expected NAME<TAB>URL", path.display(), n + 1))?;
        let url = url::Url::parse(raw.trim())
            .map_err(|e| anyhow::anyhow!("{}:{}: {raw:?} is not a URL: {e}", path.display(), n + 1))?;
        urls.insert(name.trim().to_string(), url);
    }
    Ok(urls)
}
