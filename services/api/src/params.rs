//! Query parameters: every one known, each given at most once, each of the
//! right type, or a 400 that says which and why. Parsed by hand rather than
//! by a derive so that the messages name the parameter and what it takes.

use std::collections::BTreeMap;

use townreports_store::{MetricQuery, ReportFilter, SearchQuery, segment};

use crate::ApiError;

/// The parameters of one request, by name.
pub struct Params(BTreeMap<String, String>);

const FILTERS: &[&str] = &["province", "city", "county", "township", "code", "year", "doc_type"];

impl Params {
    /// Checks that `pairs` name only `known` parameters, each once.
    pub fn parse(pairs: Vec<(String, String)>, known: &[&str]) -> Result<Params, ApiError> {
        let mut map = BTreeMap::new();
        for (key, value) in pairs {
            if !known.contains(&key.as_str()) {
                return Err(ApiError::bad(format!(
                    "unknown parameter {key:?}; this endpoint takes {}",
                    known.join(", ")
                )));
            }
            if value.len() > 1_000 {
                return Err(ApiError::bad(format!("parameter {key} is longer than 1000 bytes")));
            }
            // No name, word or number holds one, and PostgreSQL refuses
            // NUL in text outright (a 500 where the caller erred).
            if value.chars().any(char::is_control) {
                return Err(ApiError::bad(format!("parameter {key} holds a control character")));
            }
            if map.insert(key.clone(), value).is_some() {
                return Err(ApiError::bad(format!("parameter {key} is given more than once")));
            }
        }
        Ok(Params(map))
    }

    fn text(&self, key: &str) -> Option<String> {
        self.0.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    fn number<T: std::str::FromStr>(&self, key: &str, what: &str) -> Result<Option<T>, ApiError> {
        match self.text(key) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad(format!("parameter {key} must be {what} (got {v:?})"))),
        }
    }

    fn filter(&self) -> Result<ReportFilter, ApiError> {
        Ok(ReportFilter {
            province: self.text("province"),
            city: self.text("city"),
            county: self.text("county"),
            township: self.text("township"),
            code: self.text("code"),
            year: self.number("year", "a year such as 2023")?,
            doc_type: self.text("doc_type"),
        })
    }

    /// The value of `key`, which the endpoint cannot do without.
    pub fn required(&self, key: &str) -> Result<String, ApiError> {
        self.text(key)
            .ok_or_else(|| ApiError::bad(format!("parameter {key} is required")))
    }

    pub fn search(&self) -> Result<SearchQuery, ApiError> {
        let q = self.text("q");
        // Without a word q would not narrow the search at all: `q=%` or
        // `q=';--` would list every report, as an injection would.
        if q.as_deref().is_some_and(|q| segment::query_words(q).is_empty()) {
            return Err(ApiError::bad("parameter q has no letters or digits to search for"));
        }
        Ok(SearchQuery {
            q,
            filter: self.filter()?,
            indicator: self.text("indicator"),
            limit: self.number("limit", "a whole number")?,
            offset: self.number("offset", "a whole number")?,
            cursor: self.text("cursor"),
        })
    }

    pub fn metrics(&self) -> Result<MetricQuery, ApiError> {
        Ok(MetricQuery {
            filter: self.filter()?,
            indicator: self.text("indicator"),
            kind: self.text("kind"),
            report_id: self.text("report_id"),
        })
    }
}

/// The parameters of `/api/reports`.
pub fn search_keys() -> Vec<&'static str> {
    let mut keys = vec!["q", "indicator", "limit", "offset", "cursor"];
    keys.extend_from_slice(FILTERS);
    keys
}

/// The parameters of the metric exports.
pub fn metric_keys() -> Vec<&'static str> {
    let mut keys = vec!["indicator", "kind", "report_id"];
    keys.extend_from_slice(FILTERS);
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn known_parameters_parse() {
        let p = Params::parse(
            pairs(&[("q", " 城关 "), ("year", "2023"), ("limit", "5")]),
            &search_keys(),
        )
        .unwrap();
        let q = p.search().unwrap();
        assert_eq!(q.q.as_deref(), Some("城关"));
        assert_eq!((q.filter.year, q.limit), (Some(2023), Some(5)));
    }

    #[test]
    fn unknown_repeated_and_mistyped_parameters_are_refused() {
        let message = |list: &[(&str, &str)]| match Params::parse(pairs(list), &search_keys()).and_then(|p| p.search())
        {
            Err(e) => e.message,
            Ok(q) => panic!("accepted {q:?}"),
        };
        assert!(message(&[("qq", "x")]).contains("unknown parameter \"qq\""));
        assert!(message(&[("q", "a"), ("q", "b")]).contains("more than once"));
        assert!(message(&[("year", "last")]).contains("year must be a year"));
        assert!(message(&[("limit", "1e9")]).contains("limit must be a whole number"));
        assert!(message(&[("township", "a\0b")]).contains("township holds a control character"));
        assert!(message(&[("q", "\r\nX: 1")]).contains("q holds a control character"));
        assert!(message(&[("q", "'%;--")]).contains("q has no letters or digits"));
    }
}
