//! `townreports-portals`: serve the simulated township portals until Ctrl-C
//! and write a sites file for the crawler.

use std::path::PathBuf;

use clap::Parser;

/// Serve the simulated township portals on loopback ports.
#[derive(Parser)]
struct Args {
    /// Where to write the sites file for `townreports run --sites`.
    #[arg(long, default_value = "data/portals-sites.toml")]
    sites_out: PathBuf,
    /// The per-host delay written into the sites file.
    #[arg(long, default_value = "1s")]
    min_delay: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let portals = townreports_portals::start().await?;
    if let Some(dir) = args.sites_out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.sites_out, portals.sites_toml(&args.min_delay))?;
    for site in portals.sites() {
        println!("{:<14} {}", site.id, site.start_urls.join(" "));
    }
    println!("sites file: {}  (Ctrl-C stops)", args.sites_out.display());
    tokio::signal::ctrl_c().await?;
    portals.shutdown().await;
    Ok(())
}
