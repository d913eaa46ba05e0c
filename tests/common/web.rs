//! The API and web page over a finished crawl's data directory, checked
//! the way users touch them: pandas reading the CSV, and headless Chromium
//! rendering a report page (only ever pointed at loopback).

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use townreports_store::Store;

/// Serves the API over `data_dir`'s store on an ephemeral loopback port;
/// `crawl` is the crawl's NATS, for what only the crawl knows (coverage's
/// report columns).
pub async fn serve_api(data_dir: &Path, crawl: Option<townreports_bus::NatsOptions>) -> String {
    let store = Store::open_sqlite(&townreports_store::sqlite_path(data_dir))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, townreports_api::router(Arc::new(store), crawl)).into_future());
    base
}

/// What pandas makes of a CSV file: its columns, row count and the dtypes
/// of the numeric columns.
pub fn pandas_summary(csv: &Path) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1], dtype={"division_code": str, "report_id": str, "actual_report_id": str})
print(json.dumps({
    "columns": list(df.columns),
    "rows": len(df),
    "dtypes": {c: str(df[c].dtype) for c in ["value", "value_normalized", "growth_pct", "year"]},
    "indicators": int(df["indicator"].nunique()),
    "value_sum": float(df["value"].fillna(0).sum()),
}))
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(csv)
        .output()
        .expect("python3 (scripts/setup.sh installs it with pandas)");
    assert!(
        output.status.success(),
        "pandas could not read the CSV: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Runs headless Chromium on `url` (loopback only: every other host name
/// resolves to nothing) with `args`, at most a minute.
pub async fn chromium(url: &str, args: &[&str]) -> std::process::Output {
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "the browser test only visits loopback"
    );
    let command = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=10000",
            "--window-size=1280,1600",
        ])
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), command)
        .await
        .expect("chromium finished within a minute")
        .expect("chromium (scripts/setup.sh installs Debian's chromium package)");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// How many pixels of a PNG screenshot have the colour `rgb` (±4 per channel).
pub fn pixels_of(png_path: &Path, rgb: [u8; 3]) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "a colour screenshot: {:?}", info.color_type);
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 4))
        .count()
}
