//! What an edit changed: the differences between two versions of a report's
//! record, for the `updated` event. Scalar fields are compared whole; list
//! items are matched by a key (a metric by name, kind and year, a section
//! by its number and heading), so a reordered list is not a change.

use std::collections::BTreeMap;

use serde::Serialize;
use townreports_proto::v1::{FieldChange, Metric, ReportRecord};

/// Every difference from `before` to `after`, in a stable order.
pub fn changes(before: &ReportRecord, after: &ReportRecord) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut scalar = |field: &str, a: String, b: String| {
        if a != b {
            let kind = match (a.as_str(), b.as_str()) {
                ("null", _) => "added",
                (_, "null") => "removed",
                _ => "changed",
            };
            out.push(change(field, kind, a, b));
        }
    };
    scalar("is_report", json(&before.is_report), json(&after.is_report));
    scalar("doc_type", json(&before.doc_type), json(&after.doc_type));
    scalar("title", json(&before.title), json(&after.title));
    scalar("division", division(before), division(after));
    scalar("review_year", json(&before.review_year), json(&after.review_year));
    scalar("plan_year", json(&before.plan_year), json(&after.plan_year));
    scalar("meeting", json(&before.meeting), json(&after.meeting));
    scalar(
        "speaker",
        json(&before.speaker.as_ref().map(|s| (&s.name, &s.title))),
        json(&after.speaker.as_ref().map(|s| (&s.name, &s.title))),
    );
    scalar("truncated", json(&before.truncated), json(&after.truncated));
    scalar(
        "placeholder_names",
        json(&before.placeholder_names),
        json(&after.placeholder_names),
    );
    if before.content_sha256 != after.content_sha256 {
        out.push(change(
            "text",
            "changed",
            before.text.chars().count().to_string(),
            after.text.chars().count().to_string(),
        ));
    }
    let metric_key = |m: &Metric| {
        format!(
            "{}|{}|{}",
            m.name,
            m.kind,
            m.year.map(|y| y.to_string()).unwrap_or_default()
        )
    };
    let metric_value = |m: &Metric| json(&(m.value, &m.unit, &m.qualifier, m.growth_pct));
    items(
        &mut out,
        "metrics",
        &before.metrics,
        &after.metrics,
        metric_key,
        metric_value,
    );
    let section_key = |s: &townreports_proto::v1::Section| format!("{}{}", s.number, s.heading);
    items(
        &mut out,
        "sections",
        &before.sections,
        &after.sections,
        section_key,
        |s| json(&s.kind),
    );
    items(
        &mut out,
        "projects",
        &before.projects,
        &after.projects,
        |p| p.name.clone(),
        |p| json(&p.investment_yuan),
    );
    for (field, a, b) in [
        ("villages", &before.villages, &after.villages),
        ("organizations", &before.organizations, &after.organizations),
    ] {
        items(&mut out, field, a, b, |e| e.name.clone(), |_| String::new());
    }
    out
}

/// The distinct field names of `changes` (`metrics[…]` counts as `metrics`).
pub fn changed_fields(changes: &[FieldChange]) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for c in changes {
        let field = c.field.split('[').next().unwrap_or_default().to_string();
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    fields
}

fn items<T>(
    out: &mut Vec<FieldChange>,
    field: &str,
    before: &[T],
    after: &[T],
    key: impl Fn(&T) -> String,
    value: impl Fn(&T) -> String,
) {
    // The first item under a key speaks for it: a report that states one
    // figure twice has not changed when the second copy moves.
    let index = |list: &[T]| {
        let mut map = BTreeMap::new();
        for item in list {
            map.entry(key(item)).or_insert_with(|| value(item));
        }
        map
    };
    let (before, after) = (index(before), index(after));
    for (k, a) in &before {
        match after.get(k) {
            None => out.push(change(&format!("{field}[{k}]"), "removed", a.clone(), String::new())),
            Some(b) if a != b => out.push(change(&format!("{field}[{k}]"), "changed", a.clone(), b.clone())),
            Some(_) => {}
        }
    }
    for (k, b) in &after {
        if !before.contains_key(k) {
            out.push(change(&format!("{field}[{k}]"), "added", String::new(), b.clone()));
        }
    }
}

fn change(field: &str, kind: &str, before: String, after: String) -> FieldChange {
    FieldChange {
        field: field.to_string(),
        change: kind.to_string(),
        before,
        after,
    }
}

fn division(record: &ReportRecord) -> String {
    json(
        &record
            .division
            .as_ref()
            .map(|d| (&d.code, &d.province, &d.city, &d.county, &d.township)),
    )
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use townreports_proto::v1::NamedEntity;

    fn metric(name: &str, value: f64, year: i32) -> Metric {
        Metric {
            name: name.into(),
            value: Some(value),
            unit: Some("万元".into()),
            kind: "actual".into(),
            year: Some(year),
            ..Default::default()
        }
    }

    #[test]
    fn an_edit_lists_fields_and_metrics_added_removed_changed() {
        let before = ReportRecord {
            title: Some("2023年工作报告".into()),
            review_year: Some(2023),
            metrics: vec![metric("财政收入", 5000.0, 2023), metric("粮食产量", 2.0, 2023)],
            villages: vec![NamedEntity {
                name: "红星村".into(),
                ..Default::default()
            }],
            text: "一".into(),
            content_sha256: "a".into(),
            ..Default::default()
        };
        let mut after = before.clone();
        after.title = Some("2023年政府工作报告".into());
        after.metrics = vec![
            metric("粮食产量", 2.0, 2023),
            metric("财政收入", 5500.0, 2023),
            metric("道路", 18.0, 2023),
        ];
        after.villages.clear();
        after.text = "一二".into();
        after.content_sha256 = "b".into();

        let changes = changes(&before, &after);
        let summary: Vec<(&str, &str)> = changes.iter().map(|c| (c.field.as_str(), c.change.as_str())).collect();
        assert_eq!(
            summary,
            [
                ("title", "changed"),
                ("text", "changed"),
                ("metrics[财政收入|actual|2023]", "changed"),
                ("metrics[道路|actual|2023]", "added"),
                ("villages[红星村]", "removed"),
            ]
        );
        assert!(changes[2].before.contains("5000") && changes[2].after.contains("5500"));
        assert_eq!(changed_fields(&changes), ["title", "text", "metrics", "villages"]);
        assert!(super::changes(&after, &after).is_empty());
    }
}
