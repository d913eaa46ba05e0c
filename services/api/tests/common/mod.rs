//! What the API tests share: the test corpus in a store, served over
//! loopback on an ephemeral port.

use std::sync::Arc;

use townreports_proto::v1::ReportRecord;
use townreports_store::{Location, Store};

/// The workspace's test corpus, extracted.
pub fn corpus() -> Vec<ReportRecord> {
    townreports_extractor::extract_files(&townreports_store::testing::corpus_files()).unwrap()
}

/// A server on an ephemeral loopback port over a store holding the corpus.
pub struct Served {
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: std::net::SocketAddr,
    pub records: Vec<ReportRecord>,
}

pub async fn serve(location: &Location) -> Served {
    let store = Store::open(location).await.unwrap();
    let records = corpus();
    for (i, record) in records.iter().enumerate() {
        store.upsert(record, i as i64).await.unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, townreports_api::router(Arc::new(store), None)).into_future());
    Served { addr, records }
}
