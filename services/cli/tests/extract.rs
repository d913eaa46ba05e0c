//! `townreports extract` and `eval` as a user runs them: the real binary,
//! files on disk, JSON Lines out.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn townreports(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_townreports"))
        .args(args)
        .output()
        .expect("the townreports binary runs")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn record(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON record")
}

#[test]
fn a_file_is_judged_by_the_address_it_was_published_at() {
    let seed = corpus().join("seeds/000_e491edef44edf727.txt");
    let seed = seed.to_str().unwrap();

    let copy = record(&townreports(&[
        "extract",
        "--url",
        "https://www.example-docs.com/p-1.html",
        seed,
    ]));
    assert_eq!(copy["source"]["url"], "https://www.example-docs.com/p-1.html");
    assert_eq!(copy["source"]["source_kind"], "aggregator");
    assert_eq!(copy["source"]["path"], seed);

    let official = record(&townreports(&[
        "extract",
        "--url",
        "http://www.example.gov.cn/xxgk/1.html",
        seed,
    ]));
    assert_eq!(official["source"]["source_kind"], "official");
    // The address changes how the page is judged, not what it says.
    assert_eq!(official["title"], copy["title"]);
    assert_eq!(official["metrics"], copy["metrics"]);

    // One address names one file.
    let two = townreports(&["extract", "--url", "http://www.example.gov.cn/1.html", seed, seed]);
    assert!(!two.status.success());
    assert!(String::from_utf8_lossy(&two.stderr).contains("give one file with it"));
    let bad = townreports(&["extract", "--url", "not a url", seed]);
    assert!(!bad.status.success());
}

#[test]
fn a_saved_page_carries_its_own_address() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("page.html");
    let text = std::fs::read_to_string(corpus().join("seeds/000_e491edef44edf727.txt")).unwrap();
    let body: String = text.lines().map(|l| format!("<p>{l}</p>\n")).collect();
    std::fs::write(
        &saved,
        format!(
            "<!DOCTYPE html>\n<!-- saved from url=(0045)https://www.example-docs.com/view/abc.html -->\n\
             <html><head><meta charset=\"utf-8\"><title>page</title></head><body>{body}</body></html>"
        ),
    )
    .unwrap();
    let r = record(&townreports(&["extract", saved.to_str().unwrap()]));
    assert_eq!(r["source"]["url"], "https://www.example-docs.com/view/abc.html");
    assert_eq!(r["source"]["source_kind"], "aggregator");
    // --url outranks what the page says of itself.
    let r = record(&townreports(&[
        "extract",
        "--url",
        "http://a.example.gov.cn/1.html",
        saved.to_str().unwrap(),
    ]));
    assert_eq!(r["source"]["source_kind"], "official");
}

#[test]
fn eval_scores_a_corpus_with_its_addresses() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["docs", "gold"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let name = "000_e491edef44edf727";
    std::fs::copy(
        corpus().join(format!("seeds/{name}.txt")),
        dir.path().join(format!("docs/{name}.txt")),
    )
    .unwrap();
    let mut gold: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(corpus().join(format!("gold/{name}.json"))).unwrap()).unwrap();
    gold["source_kind"] = "aggregator".into();
    std::fs::write(dir.path().join(format!("gold/{name}.json")), gold.to_string()).unwrap();
    let root = dir.path().to_str().unwrap();

    // Without the address the page's chrome says official: one field wrong.
    let out = townreports(&["eval", "--corpus", root]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("source_kind: gold=\"aggregator\" got=\"official\""),
        "{printed}"
    );
    assert!(
        !townreports(&["eval", "--corpus", root, "--min-field", "1.0"])
            .status
            .success()
    );

    std::fs::write(
        dir.path().join("urls.tsv"),
        format!("{name}\thttps://www.example-docs.com/p-9.html\n"),
    )
    .unwrap();
    let out = townreports(&["eval", "--corpus", root, "--min-field", "1.0"]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("reports found 1/1"), "{printed}");

    std::fs::write(dir.path().join("urls.tsv"), format!("{name} no tab here\n")).unwrap();
    let out = townreports(&["eval", "--corpus", root]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("urls.tsv:1: expected NAME<TAB>URL"));
}
