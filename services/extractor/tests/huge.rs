//! A report page of fifty megabytes goes through the parser and the
//! extractor in time linear in its size and memory a fixed multiple of it.
//! Alone in its test binary, so the peak memory read from /proc is this
//! test's.
//!
//! 50 MB by default in release builds; a debug build reads 8 MB (it runs
//! at about 2 s per MB unoptimised, 0.14 s optimised) unless HOSTILE_MB
//! says otherwise.

use std::time::{Duration, Instant};

use townreports_extractor::{Origin, document_from_bytes, extract};

/// The process's peak resident memory so far, in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// A report page of about `megabytes` MB: one review paragraph after
/// another, two figures each.
fn page(megabytes: usize) -> String {
    let paragraph = "<p>一、2023年工作回顾</p>\n<p>全镇实现财政收入4720万元，同比增长12%，新建道路3公里。</p>\n";
    format!(
        "<html><head><title>某镇2023年政府工作报告</title></head><body><div class=\"TRS_Editor\">\
         <p>某镇2023年政府工作报告</p>{}</div></body></html>",
        paragraph.repeat(megabytes * 1_000_000 / paragraph.len())
    )
}

/// Parses and extracts `html`: how many metrics, in how long.
fn timed(html: &str) -> (usize, Option<i32>, Duration) {
    let started = Instant::now();
    let record = extract(
        &document_from_bytes(html.as_bytes(), "huge.html", None),
        &Origin::File {
            path: "huge.html".into(),
            url: None,
        },
    );
    (record.metrics.len(), record.review_year, started.elapsed())
}

#[test]
fn a_huge_report_goes_through_in_linear_time_and_bounded_memory() {
    let default = if cfg!(debug_assertions) { 8 } else { 50 };
    let megabytes: usize = std::env::var("HOSTILE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    // The national table and the patterns load once, on the first page:
    // neither the timings nor the memory bound are about them.
    timed(&page(0));
    let baseline = peak_memory();
    let small = page(megabytes / 4);
    let (small_metrics, _, small_took) = timed(&small);
    drop(small);
    let large = page(megabytes);
    let (large_metrics, year, large_took) = timed(&large);
    let ratio = large_took.as_secs_f64() / small_took.as_secs_f64();
    let peak = peak_memory();
    eprintln!(
        "parser + extractor: {} MB in {small_took:.2?}, {} MB in {large_took:.2?} (x{ratio:.1}), \
         {large_metrics} metrics, peak memory {} MB over the {} MB of a small page",
        megabytes / 4,
        large.len() / 1_000_000,
        (peak - baseline) / 1_000_000,
        baseline / 1_000_000
    );
    assert_eq!(year, Some(2023));
    // Every figure is read, however many there are.
    let paragraphs = large.matches("<p>全镇").count();
    assert!(
        large_metrics >= 2 * paragraphs,
        "{large_metrics} metrics in {paragraphs} paragraphs"
    );
    assert!(small_metrics * 3 < large_metrics);
    // Four times the input: linear is x4, quadratic x16.
    assert!(
        ratio < 8.0,
        "{megabytes} MB took {ratio:.1} times as long as a quarter of it"
    );
    // The page, its text and a record of millions of metrics, each with
    // its sentence: a multiple of the input, not more.
    assert!(
        peak - baseline < 24 * large.len() as u64,
        "peak memory {peak} ({baseline} before) for {} bytes",
        large.len()
    );
}
