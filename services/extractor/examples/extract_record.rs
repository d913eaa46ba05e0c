//! Prints the record of each file as one JSON line: for looking at what the
//! extractor makes of a document while working on its rules.
//!
//! `cargo run -p townreports-extractor --example extract_record -- FILE...`

fn main() -> anyhow::Result<()> {
    let files: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    for record in townreports_extractor::extract_files(&files)? {
        println!("{}", serde_json::to_string(&record)?);
    }
    Ok(())
}
