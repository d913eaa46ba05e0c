//! robots.txt, per host: where it is, what it allows, how slowly to go.
//!
//! The rules are read by `texting_robots` (Google's longest-match rules,
//! wildcards, `Crawl-delay`). What an unreadable robots.txt means follows
//! Google's crawler: a 4xx answer allows everything, a 5xx or network error
//! allows nothing until a later fetch succeeds.

use std::sync::Arc;
use std::time::Duration;

use texting_robots::Robot;
use url::Url;

/// A `Crawl-delay` above this is read as this: a site asking for an hour
/// between requests would otherwise never be crawled at all.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);
/// How long fetched rules are trusted before robots.txt is fetched again.
pub const REFRESH: Duration = Duration::from_secs(24 * 3600);

/// The robots.txt of the host of `url`.
pub fn robots_url(url: &Url) -> Option<Url> {
    let mut robots = url.clone();
    robots.set_path("/robots.txt");
    robots.set_query(None);
    robots.set_fragment(None);
    (robots.host().is_some()).then_some(robots)
}

/// The product token of a User-Agent (`townreports` of
/// `townreports/0.1 (+https://…)`), which robots.txt groups are matched on.
pub fn agent_token(user_agent: &str) -> String {
    user_agent
        .split(['/', ' '])
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or("townreports")
        .to_ascii_lowercase()
}

/// A host's rules as read from its robots.txt.
#[derive(Clone)]
pub struct Rules {
    robot: Option<Arc<Robot>>,
    /// `Crawl-delay` for our agent (or `*`), capped at [`MAX_CRAWL_DELAY`].
    pub crawl_delay: Option<Duration>,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules").field("crawl_delay", &self.crawl_delay).finish()
    }
}

impl Rules {
    /// Everything allowed: no robots.txt (a 4xx answer).
    pub fn allow_all() -> Rules {
        Rules {
            robot: None,
            crawl_delay: None,
        }
    }

    /// Reads `body` for `agent`. A file the parser rejects allows
    /// everything, as a missing one does (and is logged).
    pub fn parse(agent: &str, body: &[u8]) -> Rules {
        let body = &body[..body.len().min(townreports_proto::MAX_ROBOTS_TXT_BYTES)];
        match Robot::new(agent, body) {
            Ok(robot) => Rules {
                crawl_delay: robot
                    .delay
                    .filter(|d| d.is_finite() && *d > 0.0)
                    .map(|d| Duration::from_secs_f32(d).min(MAX_CRAWL_DELAY)),
                robot: Some(Arc::new(robot)),
            },
            Err(e) => {
                tracing::warn!(error = %e, "unreadable robots.txt; treating it as absent");
                Rules::allow_all()
            }
        }
    }

    pub fn allows(&self, url: &Url) -> bool {
        self.robot.as_ref().is_none_or(|r| r.allowed(url.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn rules_for_our_agent_or_everyone() {
        let txt = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n\nUser-agent: badbot\nDisallow: /\n";
        let rules = Rules::parse(&agent_token("townreports/0.1 (+https://example.org/bot)"), txt);
        assert!(!rules.allows(&url("http://h/private/a.html")));
        assert!(rules.allows(&url("http://h/zwgk/index.html")));
        assert_eq!(rules.crawl_delay, Some(Duration::from_secs(2)));
        let bad = Rules::parse("badbot", txt);
        assert!(!bad.allows(&url("http://h/zwgk/index.html")));
    }

    #[test]
    fn longest_match_wins_and_delays_are_capped() {
        let txt = b"User-agent: townreports\nDisallow: /a/\nAllow: /a/open/\nCrawl-delay: 86400\n";
        let rules = Rules::parse("townreports", txt);
        assert!(!rules.allows(&url("http://h/a/x.html")));
        assert!(rules.allows(&url("http://h/a/open/x.html")));
        assert_eq!(rules.crawl_delay, Some(MAX_CRAWL_DELAY));
        assert!(Rules::allow_all().allows(&url("http://h/anything")));
        assert!(Rules::parse("townreports", b"\xff\xfe garbage \x00\x01").allows(&url("http://h/x")));
    }

    #[test]
    fn the_robots_url_of_a_page() {
        assert_eq!(
            robots_url(&url("http://127.0.0.1:8080/a/b.html?x=1#f"))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/robots.txt"
        );
        assert_eq!(agent_token(""), "townreports");
    }
}
