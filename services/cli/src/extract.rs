//! `townreports extract` and `townreports eval`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

/// Prints one record per file as JSON Lines.
pub fn extract(files: &[PathBuf]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for record in townreports_extractor::extract_files(files)? {
        serde_json::to_writer(&mut out, &record)?;
        writeln!(out)?;
    }
    out.flush().context("writing to stdout")
}

#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// A directory of gold labels (one `<name>.json` per document).
    #[arg(long)]
    pub gold: PathBuf,
    /// The documents to extract (file names match the labels: `<name>.txt`/`.html`),
    /// or one `.jsonl` file of records already extracted.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Fail (exit 1) below this field accuracy.
    #[arg(long, default_value_t = 0.0)]
    pub min_field: f64,
    /// Fail (exit 1) below this metric recall.
    #[arg(long, default_value_t = 0.0)]
    pub min_metric: f64,
}

/// Scores extraction against gold labels, as `score.py --show` does.
pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let records: Vec<serde_json::Value> =
        if args.files.len() == 1 && args.files[0].extension().is_some_and(|e| e == "jsonl") {
            let text = std::fs::read_to_string(&args.files[0])
                .with_context(|| format!("reading {}", args.files[0].display()))?;
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect::<Result<_, _>>()?
        } else {
            townreports_extractor::extract_files(&args.files)?
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?
        };
    let report = townreports_extractor::eval::score(&args.gold, &records)?;
    print!("{report}");
    anyhow::ensure!(
        report.field_accuracy() >= args.min_field && report.metric_recall() >= args.min_metric && report.missing == 0,
        "below the required scores (field accuracy {:.3} < {}, or metric recall {:.3} < {}, or {} documents missing)",
        report.field_accuracy(),
        args.min_field,
        report.metric_recall(),
        args.min_metric,
        report.missing
    );
    Ok(())
}
