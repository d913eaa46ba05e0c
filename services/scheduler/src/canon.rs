//! URL canonicalisation, so one page found through differently spelled links
//! is one frontier entry.

use url::Url;

/// Query parameters that identify a visit, not a document.
const TRACKING_PARAMS: &[&str] = &["spm", "from", "share", "isappinstalled", "timestamp", "_t", "t", "_"];

/// Lower-case scheme and host, no default port, no fragment, no tracking
/// parameters, `./` and `../` resolved, and `…/index.html` (or `.htm`,
/// `.shtml`) equal to `…/`.
pub fn canonical(url: &Url) -> Url {
    // `Url` already lower-cases scheme and host, drops default ports and
    // resolves dot segments when parsing.
    let mut url = url.clone();
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    let path = url.path().to_string();
    for index in [
        "/index.html",
        "/index.htm",
        "/index.shtml",
        "/default.html",
        "/default.htm",
    ] {
        if let Some(dir) = path.strip_suffix(index) {
            url.set_path(&format!("{dir}/"));
            break;
        }
    }
    url
}

/// The politeness key: scheme, host and port.
pub fn host_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        canonical(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn spelling_variants_collapse() {
        let want = "http://example.gov.cn/zfxxgk/";
        for variant in [
            "HTTP://Example.GOV.cn:80/zfxxgk/index.html",
            "http://example.gov.cn/zfxxgk/./index.html#top",
            "http://example.gov.cn/a/../zfxxgk/",
            "http://example.gov.cn/zfxxgk/index.shtml?utm_source=x",
        ] {
            assert_eq!(c(variant), want, "{variant}");
        }
    }

    #[test]
    fn meaningful_queries_and_ports_stay() {
        assert_eq!(c("http://h:8080/list?page=2&utm_medium=x"), "http://h:8080/list?page=2");
        assert_ne!(c("http://h/list?page=2"), c("http://h/list?page=3"));
        assert_eq!(host_key(&Url::parse("https://H.cn/x").unwrap()), "https://h.cn:443");
    }
}
