//! `townreports export`: every stored record, one JSON object per line.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use townreports_indexer::store::SqliteStore;
use townreports_indexer::worker::sqlite_path;

pub async fn export(data_dir: &Path) -> anyhow::Result<()> {
    let path = sqlite_path(data_dir);
    anyhow::ensure!(
        path.exists(),
        "no database at {}: run `townreports run --sites FILE --data-dir {}` first",
        path.display(),
        data_dir.display()
    );
    let store = SqliteStore::open(&path).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for record in store.records().await? {
        serde_json::to_writer(&mut out, &record)?;
        writeln!(out)?;
    }
    out.flush().context("writing to stdout")?;
    store.close().await;
    Ok(())
}
