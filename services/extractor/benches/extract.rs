//! Extraction speed, bytes in, record out (`cargo bench -p
//! townreports-extractor --bench extract`): over the seed report texts and
//! the saved government HTML pages (`corpus_files`), and over the seed
//! reports rendered as full-size disclosure pages in UTF-8 and GBK, with
//! the saved pages beside them (`bench_pages`, what issue 18 is judged on;
//! `scripts/bench-extract.sh` measures the same pages through the command
//! line against trafilatura).
//!
//! The corpus files rather than another crate's fixtures, so that this
//! crate's tests and benches build whatever state other crates are in.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use townreports_extractor::{Origin, document_from_bytes, extract};

fn corpus_files(dirs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut files = Vec::new();
    for (dir, ext) in dirs {
        let entries = std::fs::read_dir(root.join(dir)).expect("the shared corpus is checked out");
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == *ext) {
                let bytes = std::fs::read(&path).expect("corpus files are readable");
                files.push((path.display().to_string(), bytes));
            }
        }
    }
    files.sort();
    files
}

fn bench(c: &mut Criterion) {
    // Warm the national table once: it loads lazily, once per process.
    let _ = townreports_gazetteer::Gazetteer::global().find_places("四川省");
    let mut group = c.benchmark_group("extract");
    for (name, dirs) in [
        ("corpus_files", &[("seeds", "txt"), ("html-samples", "html")][..]),
        ("bench_pages", &[("bench-pages", "html"), ("html-samples", "html")][..]),
    ] {
        let files = corpus_files(dirs);
        group.throughput(Throughput::Elements(files.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                for (name, bytes) in &files {
                    let doc = document_from_bytes(bytes, name, None);
                    std::hint::black_box(extract(
                        &doc,
                        &Origin::File {
                            path: name.clone(),
                            url: None,
                        },
                    ));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
