//! `townreports discover URL… --code 6-DIGIT`: site discovery once. The
//! county's pages are fetched with the fetcher's client (its private-address
//! guard and body cap), the townships they link to are resolved within the
//! county, each township's page is fetched for its report columns, and the
//! result is a sites file: one `[[site]]` per township with columns, with
//! what was found and missed as comments.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ipnet::IpNet;
use townreports_discovery::{Anchor, Summary, TownshipEntry, Unresolved, report_columns, summarise, township_site_id};
use townreports_fetcher::http::Fetcher;
use townreports_gazetteer::Gazetteer;
use townreports_parser::links::LinkKind;
use townreports_proto::v1::{FetchJob, PageKind};
use townreports_sites::FetchSettings;
use url::Url;

#[derive(Debug, Clone, clap::Args)]
pub struct DiscoverArgs {
    /// The county portal's pages that list its townships.
    #[arg(required = true)]
    pub urls: Vec<Url>,
    /// The county's 6-digit division code.
    #[arg(long)]
    pub code: String,
    /// The county's id, which the townships' site ids start with
    /// (default `county-CODE`).
    #[arg(long)]
    pub id: Option<String>,
    /// Private networks that may be fetched (default none), as in the sites file.
    #[arg(long = "allow-private-network")]
    pub allow_private_networks: Vec<IpNet>,
    /// Between two requests to one host.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub min_delay: Duration,
}

/// A township found, with the report columns on its page.
#[derive(Debug, Clone)]
pub struct Township {
    pub entry: TownshipEntry,
    pub columns: Vec<Anchor>,
}

/// What `discover` found on a county's portal.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub county_id: String,
    pub county_code: String,
    pub townships: Vec<Township>,
    pub unresolved: Vec<Unresolved>,
    pub summary: Summary,
}

/// A polite fetcher of pages' links: one request per host per `min_delay`.
struct LinkReader {
    fetcher: Fetcher,
    min_delay: Duration,
    last: HashMap<String, Instant>,
}

impl LinkReader {
    async fn links(&mut self, url: &Url) -> anyhow::Result<Vec<Anchor>> {
        let host = url.host_str().unwrap_or("").to_string();
        if let Some(wait) = self.last.get(&host).map(|t| self.min_delay.saturating_sub(t.elapsed())) {
            tokio::time::sleep(wait).await;
        }
        let job = FetchJob {
            url: url.to_string(),
            kind: PageKind::Portal as i32,
            host_delay_ms: self.min_delay.as_millis() as u64,
            ..Default::default()
        };
        let fetched = self.fetcher.fetch(&job).await;
        self.last.insert(host, Instant::now());
        let page = fetched.page.with_context(|| {
            format!(
                "{url}: {} {}",
                fetched.outcome.error_class, fetched.outcome.error_message
            )
        })?;
        let parsed = townreports_parser::parse_page(url, &page.body, Some(&page.content_type));
        Ok(parsed
            .links
            .into_iter()
            .map(|l| Anchor {
                list: matches!(l.kind, LinkKind::Navigation | LinkKind::Pagination),
                url: l.url,
                text: l.text,
            })
            .collect())
    }
}

/// Fetches the county's pages and each township's page, and discovers.
pub async fn discover(args: &DiscoverArgs) -> anyhow::Result<Discovery> {
    let g = Gazetteer::global();
    let settings = FetchSettings {
        allow_private_networks: args.allow_private_networks.clone(),
        ..FetchSettings::default()
    };
    let mut reader = LinkReader {
        fetcher: Fetcher::new(&settings)?,
        min_delay: args.min_delay,
        last: HashMap::new(),
    };
    let mut links = Vec::new();
    for url in &args.urls {
        links.extend(reader.links(url).await?);
    }
    let findings = townreports_discovery::townships(&args.code, &links, g)?;
    let mut townships = Vec::new();
    for entry in &findings.townships {
        let url = Url::parse(&entry.url)?;
        // A township whose page cannot be read is still found, with no columns.
        let columns = match reader.links(&url).await {
            Ok(links) => report_columns(&links),
            Err(e) => {
                tracing::warn!(township = %entry.name, error = %e, "cannot read the township's page");
                Vec::new()
            }
        };
        townships.push(Township {
            entry: entry.clone(),
            columns,
        });
    }
    Ok(Discovery {
        county_id: args.id.clone().unwrap_or_else(|| format!("county-{}", args.code)),
        county_code: args.code.clone(),
        summary: summarise(&args.code, &findings, g),
        unresolved: findings.unresolved,
        townships,
    })
}

impl Discovery {
    /// A sites file: one `[[site]]` per township with report columns;
    /// the rest, and the summary, as comments.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let quote = |s: &str| toml_string(s);
        for t in &self.townships {
            let names: Vec<&str> = t.columns.iter().map(|c| c.text.as_str()).collect();
            let _ = writeln!(
                out,
                "# {} {}: {} at {}",
                t.entry.name,
                t.entry.code,
                found_columns(&names),
                t.entry.url
            );
            if t.columns.is_empty() {
                out.push('\n');
                continue;
            }
            let urls: Vec<String> = t.columns.iter().map(|c| quote(c.url.as_str())).collect();
            let _ = writeln!(
                out,
                "[[site]]\nid = {}\nname = {}\ndivision_code = {}\nstart_urls = [{}]\n",
                quote(&township_site_id(&self.county_id, &t.entry.code)),
                quote(&t.entry.name),
                quote(&t.entry.code),
                urls.join(", ")
            );
        }
        for u in &self.unresolved {
            let _ = writeln!(out, "# unresolved: {} at {}: {}", u.name, u.url, u.reason);
        }
        let s = &self.summary;
        let missing: Vec<String> = s
            .not_found
            .iter()
            .map(|p| format!("{} {}", p.township.as_deref().unwrap_or("?"), p.code))
            .collect();
        let _ = writeln!(
            out,
            "# county {}: {} townships in the national table, {} found, {} resolved, {} not found{}{}",
            self.county_code,
            s.in_table,
            s.found,
            s.resolved,
            s.not_found.len(),
            if missing.is_empty() { "" } else { ": " },
            missing.join(", ")
        );
        out
    }
}

fn found_columns(names: &[&str]) -> String {
    if names.is_empty() {
        "no report column".into()
    } else {
        format!("report columns {}", names.join(", "))
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.into()).to_string()
}
