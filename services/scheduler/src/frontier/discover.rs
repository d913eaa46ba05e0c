//! Discovery mode, for `[[county]]` sites: a county's start page is read
//! for the townships it links to (each resolved to its code within the
//! county), each township's page for its report columns, and those columns
//! become the township's site, crawled like any other with the township's
//! code as its division hint. Both pages are revisited, so a township
//! that appears later is picked up and one that disappears is reported.
//! What a page showed is kept on its frontier entry, so a restarted
//! scheduler has the townships' sites back at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use townreports_discovery::{
    Anchor, CountyFindings, TownshipEntry, report_columns, summarise, township_site_id, townships,
};
use townreports_gazetteer::Gazetteer;
use townreports_proto::v1::{DiscoveredLinks, FetchJob, PageKind};
use townreports_sites::Site;
use url::Url;

use super::{Frontier, UrlState};
use crate::canon::canonical;

/// What a county portal's page showed at its last visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discovered {
    /// A county's start page: the townships it links to, and those it
    /// linked to before and no longer does.
    County {
        findings: CountyFindings,
        #[serde(default)]
        gone: Vec<TownshipEntry>,
        /// Townships of the county in the national table it shows no link to.
        #[serde(default)]
        not_found: Vec<String>,
    },
    /// A township's page: its report columns.
    Township {
        name: String,
        code: String,
        columns: Vec<String>,
    },
}

/// Township code → the report columns its page showed, over frontier
/// entries (what coverage shows as a township's site).
pub fn township_columns<'a>(states: impl IntoIterator<Item = &'a UrlState>) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for state in states {
        if let Some(Discovered::Township { code, columns, .. }) = &state.discovery {
            let known = found.entry(code.clone()).or_default();
            known.extend(columns.iter().cloned());
            known.sort();
            known.dedup();
        }
    }
    found
}

fn anchors(links: &DiscoveredLinks) -> Vec<Anchor> {
    links
        .links
        .iter()
        .filter_map(|l| {
            Some(Anchor {
                url: Url::parse(&l.url).ok()?,
                text: l.anchor_text.clone(),
                list: l.kind == PageKind::List as i32,
            })
        })
        .collect()
}

/// The site of a township found under `county`, on `columns`.
fn township_site(county: &Site, name: &str, code: &str, columns: &[Url]) -> Site {
    let mut hosts: Vec<String> = columns
        .iter()
        .filter_map(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .collect();
    hosts.sort();
    hosts.dedup();
    Site {
        id: township_site_id(&county.id, code),
        name: name.to_string(),
        division_code: Some(code.to_string()),
        start_urls: columns.to_vec(),
        allowed_hosts: hosts,
        ..county.clone()
    }
}

impl Frontier {
    /// A page of the county site `county` was parsed (`job` fetched it).
    pub(super) fn on_portal_page(
        &mut self,
        county: &Site,
        code: &str,
        job: &FetchJob,
        links: &DiscoveredLinks,
        now: i64,
    ) {
        let Ok(url) = Url::parse(&job.url) else { return };
        let key = canonical(&url).to_string();
        let anchors = anchors(links);
        let discovered = if job.depth == 0 {
            self.county_page(county, code, &key, &anchors, now)
        } else {
            self.township_page(county, &job.url, &anchors, now)
        };
        if let (Some(discovered), Some(state)) = (discovered, self.urls.get_mut(&key)) {
            state.discovery = Some(discovered);
            self.touch(key);
        }
    }

    fn county_page(
        &mut self,
        county: &Site,
        code: &str,
        key: &str,
        anchors: &[Anchor],
        now: i64,
    ) -> Option<Discovered> {
        let findings = match townships(code, anchors, Gazetteer::global()) {
            Ok(findings) => findings,
            Err(e) => {
                tracing::warn!(county = %county.id, error = %e, "cannot discover townships");
                return None;
            }
        };
        let (before, mut gone) = match self.urls.get(key).and_then(|s| s.discovery.clone()) {
            Some(Discovered::County { findings, gone, .. }) => (findings.townships, gone),
            _ => (Vec::new(), Vec::new()),
        };
        gone.retain(|g| !findings.townships.iter().any(|t| t.code == g.code));
        for lost in before
            .into_iter()
            .filter(|b| !findings.townships.iter().any(|t| t.code == b.code))
        {
            tracing::warn!(county = %county.id, township = %lost.name, code = %lost.code, "township no longer on its county's portal");
            gone.push(lost);
        }
        for unresolved in &findings.unresolved {
            tracing::info!(county = %county.id, name = %unresolved.name, reason = %unresolved.reason, "township not resolved; not crawled");
        }
        for entry in &findings.townships {
            let Ok(url) = Url::parse(&entry.url) else { continue };
            let entry_key = canonical(&url).to_string();
            if !self.urls.contains_key(&entry_key) {
                // The county vouches for the township's own host; the
                // fetcher's guard and robots.txt still apply.
                let revisit = county.revisit.as_millis() as i64;
                let referrer = self.urls.get(key).map(|s| s.url.clone()).unwrap_or_default();
                let state = UrlState {
                    depth: 1,
                    referrer,
                    anchor_text: entry.name.clone(),
                    ..UrlState::new(&url, &county.id, PageKind::Portal, now, revisit)
                };
                self.insert_new(entry_key, state);
            }
        }
        let not_found = summarise(code, &findings, Gazetteer::global())
            .not_found
            .into_iter()
            .map(|p| p.township.unwrap_or(p.code))
            .collect();
        Some(Discovered::County {
            findings,
            gone,
            not_found,
        })
    }

    fn township_page(&mut self, county: &Site, url: &str, anchors: &[Anchor], now: i64) -> Option<Discovered> {
        let entry = self.urls.values().find_map(|s| match &s.discovery {
            Some(Discovered::County { findings, .. }) if s.site_id == county.id => {
                findings.townships.iter().find(|t| t.url == url).cloned()
            }
            _ => None,
        })?;
        let columns: Vec<Url> = report_columns(anchors).into_iter().map(|a| a.url).collect();
        if columns.is_empty() {
            tracing::info!(county = %county.id, township = %entry.name, "no report column on the township's page");
        }
        self.add_township(county, &entry.name, &entry.code, &columns, now);
        Some(Discovered::Township {
            name: entry.name,
            code: entry.code,
            columns: columns.iter().map(Url::to_string).collect(),
        })
    }

    /// Makes (or widens) the site of a township and adds its columns.
    fn add_township(&mut self, county: &Site, name: &str, code: &str, columns: &[Url], now: i64) {
        let mut site = township_site(county, name, code, columns);
        if let Some(known) = self.sites.get(&site.id) {
            for url in &known.start_urls {
                if !site.start_urls.contains(url) {
                    site.start_urls.push(url.clone());
                }
            }
            site.allowed_hosts.extend(known.allowed_hosts.iter().cloned());
            site.allowed_hosts.sort();
            site.allowed_hosts.dedup();
        }
        for column in columns {
            let key = canonical(column).to_string();
            if !self.urls.contains_key(&key) {
                let revisit = site.revisit.as_millis() as i64;
                let state = UrlState {
                    anchor_text: name.to_string(),
                    ..UrlState::new(column, &site.id, PageKind::List, now, revisit)
                };
                self.insert_new(key, state);
            }
        }
        self.sites.insert(site.id.clone(), site);
    }

    /// The townships' sites again, from what their pages showed (after
    /// [`Frontier::restore`]).
    pub(super) fn restore_townships(&mut self) {
        let found: Vec<(String, String, String, Vec<Url>)> = self
            .urls
            .values()
            .filter_map(|s: &UrlState| match &s.discovery {
                Some(Discovered::Township { name, code, columns }) => Some((
                    s.site_id.clone(),
                    name.clone(),
                    code.clone(),
                    columns.iter().filter_map(|c| Url::parse(c).ok()).collect(),
                )),
                _ => None,
            })
            .collect();
        for (county, name, code, columns) in found {
            if let Some(county) = self.sites.get(&county).cloned() {
                let site = township_site(&county, &name, &code, &columns);
                self.sites.insert(site.id.clone(), site);
            }
        }
    }
}
