//! Report columns on a township's page: the 政府工作报告, 规划计划,
//! 工作总结 … columns under which its reports are listed.

use crate::Anchor;

/// Words of the names of columns that carry reports.
const REPORT_COLUMN_WORDS: &[&str] = &[
    "政府工作报告",
    "工作报告",
    "规划计划",
    "计划规划",
    "计划总结",
    "总结计划",
    "工作总结",
    "工作计划",
    "计划与总结",
    "规划与计划",
    "法定主动公开内容",
];
/// Longer texts are titles of documents, not column names.
const MAX_COLUMN_NAME: usize = 16;

/// Whether a column named `text` carries reports.
pub fn is_report_column(text: &str) -> bool {
    let text = text.trim();
    text.chars().count() <= MAX_COLUMN_NAME && REPORT_COLUMN_WORDS.iter().any(|w| text.contains(w))
}

/// The report columns among `links`, each once, in page order.
pub fn report_columns(links: &[Anchor]) -> Vec<Anchor> {
    let mut seen = std::collections::HashSet::new();
    links
        .iter()
        .filter(|a| a.list && is_report_column(&a.text))
        .filter(|a| seen.insert(a.url.clone()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(path: &str, text: &str, list: bool) -> Anchor {
        Anchor {
            url: url::Url::parse("http://127.0.0.1/").unwrap().join(path).unwrap(),
            text: text.into(),
            list,
        }
    }

    #[test]
    fn columns_are_named_for_reports_and_documents_are_not_columns() {
        let links = [
            anchor("/a/zfgzbg/", "政府工作报告", true),
            anchor("/a/ghjh/", "规划计划", true),
            anchor("/a/tzgg/", "通知公告", true),
            anchor("/a/ghjh/t1.html", "仁美镇2023年工作总结", false),
            anchor("/a/ghjh/", "规划计划", true),
            anchor("/a/long/", "关于印发仁美镇2024年工作计划的通知和说明材料", true),
        ];
        let found: Vec<_> = report_columns(&links).into_iter().map(|a| a.text).collect();
        assert_eq!(found, ["政府工作报告", "规划计划"]);
    }
}
