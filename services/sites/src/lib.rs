//! The sites file (TOML): which township sites to crawl and how.
//!
//! ```toml
//! [fetch]                                   # optional
//! allow_private_networks = ["127.0.0.0/8"]  # default none: private and loopback targets are refused
//! min_delay = "1s"                          # per host, between two requests
//! user_agent = "townreports/0.1 (+https://example.org/townreports)"
//! timeout = "30s"                           # one request, connect to last byte
//! max_body = 20000000                       # bytes
//! [[site]]
//! id = "example-town"                       # stable, [a-z0-9-]
//! name = "某某镇人民政府"
//! division_code = "510000000"               # optional, 9 digits
//! start_urls = ["http://127.0.0.1:8080/zfxxgk/index.html"]
//! allowed_hosts = ["127.0.0.1:8080"]        # optional; default: the hosts of start_urls
//! revisit = "6h"                            # list pages; default 6h
//! recheck = "30d"                           # articles, for edits; default 30d
//! [[county]]                                # a county portal: its townships are discovered
//! id = "danling"
//! name = "丹棱县"
//! division_code = "511424"                  # 6 digits
//! start_urls = ["http://127.0.0.1:8081/gkmlpt/index.html"]
//! ```
//!
//! Everything is validated before anything starts, and every error names the
//! file, line, column and key, because a typo found an hour into a crawl
//! costs an hour.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

/// A bad sites file, located.
#[derive(Debug)]
pub struct SitesError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The offending key (`site[2].start_urls`), or `-` for syntax errors.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for SitesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        if self.line == 0 {
            write!(f, "{path}: {}", self.message)
        } else {
            write!(
                f,
                "{path}:{}:{}: {}: {}",
                self.line, self.column, self.key, self.message
            )
        }
    }
}

impl std::error::Error for SitesError {}

/// A validated sites file.
#[derive(Debug, Clone, PartialEq)]
pub struct SitesFile {
    pub fetch: FetchSettings,
    pub sites: Vec<Site>,
    /// `[[county]]` tables: county portals crawled in discovery mode, their
    /// `division_code` 6 digits. Their townships become sites as they are found.
    pub counties: Vec<Site>,
}

/// How the fetcher behaves towards every site.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchSettings {
    /// Private/loopback networks the fetcher may reach (tests allow 127.0.0.0/8).
    pub allow_private_networks: Vec<IpNet>,
    /// Minimum time between two requests to one host.
    pub min_delay: Duration,
    /// Sent on every request; should name a contact URL.
    pub user_agent: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Body size cap in bytes, enforced while streaming.
    pub max_body: u64,
}

pub const DEFAULT_USER_AGENT: &str =
    "townreports/0.1 (+https://github.com/townreports/townreports; township report crawler)";

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            allow_private_networks: Vec::new(),
            min_delay: Duration::from_secs(1),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            timeout: Duration::from_secs(30),
            max_body: 20_000_000,
        }
    }
}

/// One township (or county) site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub division_code: Option<String>,
    pub start_urls: Vec<Url>,
    /// `host` or `host:port` values a crawled URL may have.
    pub allowed_hosts: Vec<String>,
    pub revisit: Duration,
    /// How often a fetched article is fetched again to see edits.
    pub recheck: Duration,
    /// Links deeper than this many hops from a start URL are not followed
    /// (the next page of a list is the same list, not a hop).
    pub max_depth: u32,
    /// The most URLs the crawl keeps for this site: a guard against traps
    /// the calendar and query rules do not recognise.
    pub max_pages: usize,
}

/// Defaults for [`Site::max_depth`] and [`Site::max_pages`]: a township
/// portal is a few columns of lists a few pages deep.
pub const DEFAULT_MAX_DEPTH: u32 = 8;
pub const DEFAULT_MAX_PAGES: usize = 5_000;

impl Site {
    /// Whether `url` belongs to this site's crawl.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let with_port = url.port_or_known_default().map(|p| format!("{host}:{p}"));
        self.allowed_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host) || with_port.as_deref().is_some_and(|hp| h.eq_ignore_ascii_case(hp)))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    fetch: Option<Spanned<RawFetch>>,
    #[serde(default)]
    site: Vec<RawSite>,
    #[serde(default)]
    county: Vec<RawSite>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    #[serde(default)]
    allow_private_networks: Vec<Spanned<String>>,
    min_delay: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    id: Spanned<String>,
    name: Spanned<String>,
    division_code: Option<Spanned<String>>,
    start_urls: Spanned<Vec<Spanned<String>>>,
    allowed_hosts: Option<Vec<Spanned<String>>>,
    revisit: Option<Spanned<String>>,
    recheck: Option<Spanned<String>>,
    max_depth: Option<Spanned<u32>>,
    max_pages: Option<Spanned<u64>>,
}

impl SitesFile {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<SitesFile, SitesError> {
        let text = std::fs::read_to_string(path).map_err(|e| SitesError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            key: "-".into(),
            message: format!("cannot read the sites file: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Validates `text`; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<SitesFile, SitesError> {
        let at = |span: Range<usize>, key: &str, message: String| {
            let (line, column) = line_column(text, span.start);
            SitesError {
                path: path.to_path_buf(),
                line,
                column,
                key: key.to_string(),
                message,
            }
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = key_at(text, span.start);
            at(span, &key, e.message().trim().to_string())
        })?;

        let fetch = match raw.fetch {
            None => FetchSettings::default(),
            Some(fetch) => validate_fetch(fetch.into_inner(), &at)?,
        };

        let mut ids = HashSet::new();
        let mut sites = Vec::with_capacity(raw.site.len());
        for (i, site) in raw.site.into_iter().enumerate() {
            sites.push(validate_site(site, "site", i, &mut ids, &at)?);
        }
        let mut counties = Vec::with_capacity(raw.county.len());
        for (i, county) in raw.county.into_iter().enumerate() {
            counties.push(validate_site(county, "county", i, &mut ids, &at)?);
        }
        if sites.is_empty() && counties.is_empty() {
            return Err(SitesError {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                key: "site".into(),
                message: "no [[site]] or [[county]] tables: nothing to crawl".into(),
            });
        }
        Ok(SitesFile { fetch, sites, counties })
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }
}

/// Reports a validation error at a span of the sites file, under a key.
type At<'a> = &'a dyn Fn(Range<usize>, &str, String) -> SitesError;

/// One `[[site]]` or `[[county]]` table (`table`, the `i`th), validated;
/// `ids` are the ids taken so far, by sites and counties alike.
fn validate_site(
    site: RawSite,
    table: &str,
    i: usize,
    ids: &mut HashSet<String>,
    at: At<'_>,
) -> Result<Site, SitesError> {
    let key = |k: &str| format!("{table}[{i}].{k}");
    check_id(&site.id, ids, &key("id"), at)?;
    if site.name.get_ref().trim().is_empty() {
        return Err(at(site.name.span(), &key("name"), "must not be empty".into()));
    }
    let division_code = division_code(site.division_code, table, site.id.span(), &key("division_code"), at)?;
    let start_urls = start_urls(site.start_urls, &key("start_urls"), at)?;
    let allowed_hosts = match site.allowed_hosts {
        Some(hosts) => hosts.into_iter().map(|h| h.into_inner().to_ascii_lowercase()).collect(),
        None => start_urls
            .iter()
            .filter_map(|u| {
                Some(match u.port() {
                    Some(p) => format!("{}:{p}", u.host_str()?),
                    None => u.host_str()?.to_string(),
                })
            })
            .collect::<Vec<_>>(),
    };
    let interval = |value: Option<Spanned<String>>, name: &str, default: Duration| match value {
        None => Ok(default),
        Some(r) => {
            let d = duration(&r).map_err(|m| at(r.span(), &key(name), m))?;
            if d < Duration::from_secs(1) {
                return Err(at(r.span(), &key(name), "must be at least 1s".into()));
            }
            Ok(d)
        }
    };
    let revisit = interval(site.revisit, "revisit", Duration::from_secs(6 * 3600))?;
    let recheck = interval(site.recheck, "recheck", Duration::from_secs(30 * 24 * 3600))?;
    let max_depth = match site.max_depth {
        None => DEFAULT_MAX_DEPTH,
        Some(d) if *d.get_ref() == 0 => {
            return Err(at(
                d.span(),
                &key("max_depth"),
                "must be at least 1: depth 0 is the start URLs alone".into(),
            ));
        }
        Some(d) => d.into_inner(),
    };
    let max_pages = match site.max_pages {
        None => DEFAULT_MAX_PAGES,
        Some(n) => usize::try_from(*n.get_ref()).ok().filter(|n| *n > 0).ok_or_else(|| {
            at(
                n.span(),
                &key("max_pages"),
                format!("{} must be at least 1 and fit this machine's memory", n.get_ref()),
            )
        })?,
    };
    Ok(Site {
        id: site.id.into_inner(),
        name: site.name.into_inner(),
        division_code,
        start_urls,
        allowed_hosts,
        revisit,
        recheck,
        max_depth,
        max_pages,
    })
}

/// A site id: a-z, 0-9 and -, not taken yet.
fn check_id(id: &Spanned<String>, ids: &mut HashSet<String>, key: &str, at: At<'_>) -> Result<(), SitesError> {
    let value = id.get_ref();
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(at(
            id.span(),
            key,
            format!("{value:?} must be non-empty and use only a-z, 0-9 and -"),
        ));
    }
    if !ids.insert(value.clone()) {
        return Err(at(
            id.span(),
            key,
            format!("duplicate site id {value:?}: ids must be unique"),
        ));
    }
    Ok(())
}

/// A county's 6-digit code (required) or a site's 9-digit one (optional).
fn division_code(
    code: Option<Spanned<String>>,
    table: &str,
    id_span: Range<usize>,
    key: &str,
    at: At<'_>,
) -> Result<Option<String>, SitesError> {
    let Some(code) = code else {
        if table == "county" {
            return Err(at(id_span, key, "a county needs its 6-digit code".into()));
        }
        return Ok(None);
    };
    let c = code.get_ref();
    let (digits, example) = if table == "county" {
        (6, "511424")
    } else {
        (9, "511102109")
    };
    if c.len() != digits || !c.chars().all(|c| c.is_ascii_digit()) {
        return Err(at(
            code.span(),
            key,
            format!("{c:?} must be {digits} digits (e.g. \"{example}\")"),
        ));
    }
    Ok(Some(code.into_inner()))
}

/// At least one start URL, each http(s) with a host.
fn start_urls(urls: Spanned<Vec<Spanned<String>>>, key: &str, at: At<'_>) -> Result<Vec<Url>, SitesError> {
    let span = urls.span();
    let mut start_urls = Vec::new();
    for u in urls.into_inner() {
        let url =
            Url::parse(u.get_ref()).map_err(|e| at(u.span(), key, format!("{:?} is not a URL: {e}", u.get_ref())))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(at(
                u.span(),
                key,
                format!("{:?} must be an http(s) URL with a host", u.get_ref()),
            ));
        }
        start_urls.push(url);
    }
    if start_urls.is_empty() {
        return Err(at(span, key, "needs at least one URL".into()));
    }
    Ok(start_urls)
}

/// The `[fetch]` table, validated.
fn validate_fetch(
    fetch: RawFetch,
    at: &dyn Fn(Range<usize>, &str, String) -> SitesError,
) -> Result<FetchSettings, SitesError> {
    let mut settings = FetchSettings::default();
    for net in fetch.allow_private_networks {
        let parsed = net.get_ref().parse::<IpNet>().map_err(|e| {
            at(
                net.span(),
                "fetch.allow_private_networks",
                format!("{:?} is not a network like \"127.0.0.0/8\": {e}", net.get_ref()),
            )
        })?;
        settings.allow_private_networks.push(parsed);
    }
    if let Some(d) = fetch.min_delay {
        settings.min_delay = duration(&d).map_err(|m| at(d.span(), "fetch.min_delay", m))?;
    }
    if let Some(t) = fetch.timeout {
        settings.timeout = duration(&t).map_err(|m| at(t.span(), "fetch.timeout", m))?;
        if settings.timeout.is_zero() {
            return Err(at(t.span(), "fetch.timeout", "must be more than 0s".into()));
        }
    }
    if let Some(ua) = fetch.user_agent {
        if ua.get_ref().trim().is_empty() {
            return Err(at(
                ua.span(),
                "fetch.user_agent",
                "must not be empty: say who crawls and how to reach you".into(),
            ));
        }
        settings.user_agent = ua.into_inner();
    }
    if let Some(max) = fetch.max_body {
        if *max.get_ref() == 0 {
            return Err(at(max.span(), "fetch.max_body", "must be more than 0 bytes".into()));
        }
        settings.max_body = max.into_inner();
    }
    Ok(settings)
}

fn duration(value: &Spanned<String>) -> Result<Duration, String> {
    humantime::parse_duration(value.get_ref())
        .map_err(|e| format!("{:?} is not a duration like \"1s\" or \"6h\": {e}", value.get_ref()))
}

/// The key whose value (or name) is at byte `offset`, as the other errors
/// name keys (`site[2].revisit`, `fetch.min_delay`): the last `key =` of
/// the table the offset is in, up to its line. The parser's own messages
/// name no key for a wrong type or a syntax error; `-` when none is found.
fn key_at(text: &str, offset: usize) -> String {
    let upto = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let end_of_line = text[upto.len()..].find('\n').map_or(text.len(), |i| upto.len() + i);
    let (mut table, mut key) = (String::new(), None);
    let mut arrays: HashMap<&str, usize> = HashMap::new();
    for line in text[..end_of_line].lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let seen = arrays.entry(name.trim()).or_default();
            table = format!("{}[{seen}]", name.trim());
            *seen += 1;
            key = None;
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = name.trim().to_string();
            key = None;
        } else if let Some((name, _)) = line.split_once('=')
            && !name.trim().is_empty()
            && name
                .trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            key = Some(name.trim().to_string());
        }
    }
    match (table.as_str(), key) {
        ("", None) => "-".into(),
        (table, None) => table.to_string(),
        ("", Some(key)) => key,
        (table, Some(key)) => format!("{table}.{key}"),
    }
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[fetch]
allow_private_networks = ["127.0.0.0/8"]
min_delay = "250ms"

[[site]]
id = "town-a"
name = "甲镇人民政府"
division_code = "510000000"
start_urls = ["http://127.0.0.1:8080/zfxxgk/index.html"]
revisit = "6h"
"#;

    fn parse(text: &str) -> Result<SitesFile, SitesError> {
        SitesFile::parse(text, Path::new("sites.toml"))
    }

    #[test]
    fn counties_alone_make_a_sites_file_and_need_a_county_code() {
        let county = "[[county]]\nid = \"danling\"\nname = \"丹棱县\"\nstart_urls = [\"http://127.0.0.1:8081/gkmlpt/index.html\"]\n";
        let file = parse(&format!("{county}division_code = \"511424\"\n")).unwrap();
        assert!(file.sites.is_empty());
        assert_eq!(file.counties[0].division_code.as_deref(), Some("511424"));
        assert_eq!(file.counties[0].allowed_hosts, ["127.0.0.1:8081"]);
        let e = parse(&format!("{county}division_code = \"511424102\"\n")).unwrap_err();
        assert_eq!(e.key, "county[0].division_code");
        let e = parse(county).unwrap_err();
        assert!(e.message.contains("6-digit"), "{e}");
        let same_id = county.replace("danling", "town-a");
        let e = parse(&format!("{GOOD}\n{same_id}division_code = \"511424\"\n")).unwrap_err();
        assert_eq!(e.key, "county[0].id", "ids are unique across sites and counties: {e}");
    }

    #[test]
    fn a_good_file_parses_with_defaults() {
        let f = parse(GOOD).unwrap();
        assert_eq!(f.fetch.min_delay, Duration::from_millis(250));
        assert_eq!(
            f.fetch.allow_private_networks,
            vec!["127.0.0.0/8".parse::<IpNet>().unwrap()]
        );
        let site = &f.sites[0];
        assert_eq!(site.allowed_hosts, vec!["127.0.0.1:8080"]);
        assert!(site.allows(&Url::parse("http://127.0.0.1:8080/x").unwrap()));
        assert!(!site.allows(&Url::parse("http://127.0.0.1:9090/x").unwrap()));
        assert_eq!(site.revisit, Duration::from_secs(6 * 3600));
        assert_eq!((site.max_depth, site.max_pages), (DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAGES));
    }

    #[test]
    fn crawl_limits_are_set_per_site_and_checked() {
        let f = parse(&GOOD.replace("revisit = \"6h\"", "max_depth = 3\nmax_pages = 200000")).unwrap();
        assert_eq!((f.sites[0].max_depth, f.sites[0].max_pages), (3, 200_000));
        let e = parse(&GOOD.replace("revisit = \"6h\"", "max_pages = 0")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (11, "site[0].max_pages"), "{e}");
        let e = parse(&GOOD.replace("revisit = \"6h\"", "max_depth = 0")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (11, "site[0].max_depth"), "{e}");
        let e = parse(&GOOD.replace("revisit = \"6h\"", "max_pages = -5")).unwrap_err();
        assert_eq!(e.line, 11, "a negative count is a type error at its line: {e}");
        let e = parse(&GOOD.replace("revisit = \"6h\"", "max_depth = \"deep\"")).unwrap_err();
        assert_eq!(e.line, 11, "{e}");
    }

    #[test]
    fn unknown_keys_name_file_line_and_key() {
        let text = GOOD.replace("revisit = \"6h\"", "revisit = \"6h\"\nrevisti = \"1h\"");
        let e = parse(&text).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (12, "site[0].revisti"), "{e}");
        assert!(e.to_string().starts_with("sites.toml:12:"), "{e}");
    }

    #[test]
    fn wrong_types_and_bad_values_are_located() {
        let e = parse(&GOOD.replace("revisit = \"6h\"", "revisit = 6")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (11, "site[0].revisit"), "{e}");
        let e = parse(&GOOD.replace("min_delay = \"250ms\"", "min_delay = [1]")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (4, "fetch.min_delay"), "{e}");
        let second = &GOOD[GOOD.find("[[site]]").unwrap()..].replace("town-a", "town-b");
        let e = parse(&format!(
            "{GOOD}{}",
            second.replace("revisit = \"6h\"", "max_pages = \"many\"")
        ))
        .unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (17, "site[1].max_pages"), "{e}");
        let e = parse(&GOOD.replace("name = \"甲镇人民政府\"", "name = \"甲镇")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (8, "site[0].name"), "a syntax error: {e}");
        let e = parse(&GOOD.replace("\"6h\"", "\"six hours\"")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (11, "site[0].revisit"), "{e}");
        let e = parse(&GOOD.replace("http://127.0.0.1:8080/zfxxgk/index.html", "not a url")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (10, "site[0].start_urls"), "{e}");
        let e = parse(&GOOD.replace("510000000", "5100")).unwrap_err();
        assert_eq!(e.key, "site[0].division_code");
        let e = parse(&GOOD.replace("\"127.0.0.0/8\"", "\"localhost\"")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "fetch.allow_private_networks"), "{e}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let second = &GOOD[GOOD.find("[[site]]").unwrap()..];
        let e = parse(&format!("{GOOD}\n{second}")).unwrap_err();
        assert!(e.message.contains("duplicate"), "{e}");
        assert_eq!(e.key, "site[1].id");
        assert_eq!(e.line, 14, "{e}");
    }

    #[test]
    fn bad_ids_and_empty_files_are_refused() {
        assert!(parse(&GOOD.replace("town-a", "Town A")).is_err());
        assert!(
            parse("[fetch]\nmin_delay = \"1s\"\n")
                .unwrap_err()
                .message
                .contains("nothing to crawl")
        );
    }
}
