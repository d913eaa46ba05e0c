//! The extractor on the labelled corpus (tests/corpus): scores computed by
//! the Rust scorer, which must agree with the reference score.py.

use std::path::{Path, PathBuf};

use townreports_extractor::{eval, extract_files};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn seed_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn seeds_score_and_the_rust_scorer_agrees_with_score_py() {
    let records = extract_files(&seed_files()).unwrap();
    let values: Vec<serde_json::Value> = records.iter().map(|r| serde_json::to_value(r).unwrap()).collect();
    let report = eval::score(&corpus().join("gold"), &values).unwrap();
    println!("{report}");
    assert_eq!(report.missing, 0);

    // The reference scorer, on the same records.
    let dir = std::env::temp_dir().join(format!("townreports-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jsonl = dir.join("records.jsonl");
    std::fs::write(&jsonl, values.iter().map(|v| v.to_string() + "\n").collect::<String>()).unwrap();
    let out = std::process::Command::new("python3")
        .arg(corpus().join("score.py"))
        .arg(corpus().join("gold"))
        .arg(&jsonl)
        .output()
        .expect("python3 runs score.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().last().unwrap_or("").to_string();
    let ours = report.to_string().lines().last().unwrap().to_string();
    assert_eq!(ours, summary, "score.py says:\n{stdout}");
    // The targets of the extraction issue.
    assert!(report.field_accuracy() >= 0.97, "{report}");
    assert!(report.metric_recall() >= 0.95, "{report}");
    assert_eq!(report.wrong_codes, 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn made_up_documents_unlike_the_seeds() {
    let dir = corpus().join("made-up");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let records = extract_files(&files).unwrap();
    let values: Vec<serde_json::Value> = records.iter().map(|r| serde_json::to_value(r).unwrap()).collect();
    let report = eval::score(&dir.join("gold"), &values).unwrap();
    println!("{report}");
    assert_eq!(report.missing, 0);
    assert!(report.field_accuracy() >= 0.95, "{report}");
    assert!(report.metric_recall() >= 0.9, "{report}");
}
