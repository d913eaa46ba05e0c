//! Fifty megabytes of page parse in time linear in their size and in
//! memory a fixed multiple of it. Alone in its test binary, so the peak
//! memory read from /proc is this test's.

use std::time::{Duration, Instant};

use townreports_parser::parse_page;
use url::Url;

/// The process's peak resident memory so far, in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// A report page of about `megabytes` MB.
fn page(megabytes: usize) -> String {
    let paragraph = "<p>全镇实现财政收入4720万元，同比增长12%，完成固定资产投资2.5亿元。</p>\n";
    format!(
        "<html><body><div class=\"TRS_Editor\">{}</div></body></html>",
        paragraph.repeat(megabytes * 1_000_000 / paragraph.len())
    )
}

fn timed_parse(html: &str) -> (usize, Duration) {
    let url = Url::parse("http://127.0.0.1/a/b.html").unwrap();
    let started = Instant::now();
    let page = parse_page(&url, html.as_bytes(), None);
    (page.text.len(), started.elapsed())
}

#[test]
fn fifty_megabytes_parse_in_linear_time_and_bounded_memory() {
    let small = page(5);
    let (small_text, small_took) = timed_parse(&small);
    drop(small);
    let large = page(50);
    let (large_text, large_took) = timed_parse(&large);
    assert!(large_text > 25_000_000, "{large_text} bytes of text");
    assert!(small_text * 9 < large_text);
    let ratio = large_took.as_secs_f64() / small_took.as_secs_f64();
    let peak = peak_memory();
    eprintln!(
        "parser: 5 MB in {small_took:.2?}, {} MB in {large_took:.2?} (x{ratio:.1}), peak memory {} MB",
        large.len() / 1_000_000,
        peak / 1_000_000
    );
    // Ten times the input: linear is x10, quadratic x100.
    assert!(ratio < 25.0, "50 MB took {ratio:.1} times as long as 5 MB");
    // The page, its tree and its text: a multiple of the input, not more.
    assert!(
        peak < 16 * large.len() as u64,
        "peak memory {peak} for {} bytes",
        large.len()
    );
}
