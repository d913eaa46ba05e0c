//! Extraction speed, HTML bytes in, record out, over every document page of
//! the simulated portals (`cargo bench -p townreports-extractor --bench extract`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use townreports_extractor::{Origin, extract};

fn bench(c: &mut Criterion) {
    let pages = townreports_portals::rendered_articles().expect("portal pages render");
    let url = url::Url::parse("http://127.0.0.1/").expect("static URL");
    // Warm the national table once: it loads lazily, once per process.
    let _ = townreports_gazetteer::Gazetteer::global().find_places("四川省");
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(pages.len() as u64));
    group.bench_function("portal_pages", |b| {
        b.iter(|| {
            for (path, bytes) in &pages {
                let page_url = url.join(path).expect("portal paths are valid");
                let doc = townreports_parser::parse_page(&page_url, bytes, None).into_document(
                    Default::default(),
                    page_url.as_str(),
                    0,
                );
                std::hint::black_box(extract(
                    &doc,
                    &Origin::Url {
                        url: page_url.to_string(),
                        site_id: String::new(),
                    },
                ));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
