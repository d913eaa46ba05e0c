//! `townreports export`: every stored record, one JSON object per line.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use townreports_store::Store;
use townreports_store::sqlite_path;

pub async fn export(data_dir: &Path) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    export_to(data_dir, &mut out).await?;
    out.flush().context("writing to stdout")
}

/// Writes every stored record to `out`, one JSON object per line.
pub async fn export_to(data_dir: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = sqlite_path(data_dir);
    anyhow::ensure!(
        path.exists(),
        "no database at {}: run `townreports run --sites FILE --data-dir {}` first",
        path.display(),
        data_dir.display()
    );
    let store = Store::open_sqlite(&path).await?;
    for record in store.records().await? {
        serde_json::to_writer(&mut *out, &record)?;
        writeln!(out)?;
    }
    store.close().await;
    Ok(())
}
