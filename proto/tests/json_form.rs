//! The record's JSON form is a contract with users and with the scorer:
//! proto field names, every field present, unset optionals as null.
use townreports_proto::v1::{Division, ReportRecord};

#[test]
fn record_json_uses_proto_names_and_nulls() {
    let record = ReportRecord {
        is_report: Some(false),
        review_year: Some(2023),
        division: Some(Division {
            resolution: "unknown".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let json: serde_json::Value = serde_json::to_value(&record).unwrap();
    assert_eq!(json["is_report"], serde_json::json!(false));
    assert_eq!(json["review_year"], serde_json::json!(2023));
    assert!(json["plan_year"].is_null());
    assert!(json["division"]["township"].is_null());
    assert_eq!(json["division"]["resolution"], "unknown");
    assert_eq!(json["metrics"], serde_json::json!([]));
    let back: ReportRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, record);
}
