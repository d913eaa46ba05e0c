//! `townreports extract` and `townreports eval`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use townreports_extractor::eval::Corpus;

#[derive(Debug, Clone, clap::Args)]
pub struct ExtractArgs {
    /// Where the file was published: judged as a page crawled from there
    /// (its host says official or not; links resolve against it). Without
    /// it, a saved page's own record of its address is used. One file only.
    #[arg(long)]
    pub url: Option<url::Url>,
    /// Files to extract (HTML in any charset, or plain text).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Prints one record per file as JSON Lines.
pub fn extract(args: &ExtractArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.url.is_none() || args.files.len() == 1,
        "--url names where one file was published; give one file with it (got {})",
        args.files.len()
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for file in &args.files {
        let record = townreports_extractor::extract_file(file, args.url.as_ref())?;
        serde_json::to_writer(&mut out, &record)?;
        writeln!(out)?;
    }
    out.flush().context("writing to stdout")
}

#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// A labelled corpus: DIR/docs, DIR/gold and DIR/urls.tsv (see
    /// tests/corpus/real/README.md). Instead of --gold and files.
    #[arg(long, conflicts_with_all = ["gold", "files"])]
    pub corpus: Option<PathBuf>,
    /// A directory of gold labels (one `<name>.json` per document).
    #[arg(long, required_unless_present = "corpus")]
    pub gold: Option<PathBuf>,
    /// The documents to extract (file names match the labels: `<name>.txt`/`.html`),
    /// or one `.jsonl` file of records already extracted.
    #[arg(required_unless_present = "corpus")]
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
    let report = match (&args.corpus, &args.gold) {
        (Some(root), _) => Corpus::at(root)?.score()?.1,
        (None, Some(gold)) => {
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
            townreports_extractor::eval::score(gold, &records)?
        }
        (None, None) => anyhow::bail!("give --corpus DIR, or --gold DIR and the documents"),
    };
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
