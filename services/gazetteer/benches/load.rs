//! What the first caller of each part of the gazetteer waits for: the
//! division table with its name indexes, the text matcher, the village
//! index. Run with `cargo bench -p townreports-gazetteer`.

use criterion::{Criterion, criterion_group, criterion_main};
use townreports_gazetteer::Gazetteer;

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("divisions", |b| b.iter(|| Gazetteer::load().expect("embedded data")));
    group.bench_function("divisions+matcher", |b| {
        b.iter(|| Gazetteer::load().expect("embedded data").find_places("四川省").len())
    });
    group.bench_function("divisions+villages", |b| {
        b.iter(|| Gazetteer::load().expect("embedded data").is_village_name("建新村"))
    });
    group.finish();

    let g = Gazetteer::global();
    let text = "在宁波市北仑区小港街道工作会议上，长阳县和恩施州的同志参加。".repeat(1_000);
    c.bench_function("find_places 30k chars", |b| b.iter(|| g.find_places(&text).len()));
}

criterion_group!(benches, load);
criterion_main!(benches);
