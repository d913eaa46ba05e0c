//! Statements built at run time (search filters, batches) with numbered
//! placeholders, `$1`, `$2`, …: PostgreSQL requires them and SQLite reads
//! them by number, so one text serves both databases.

use std::fmt::Write;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
    Float(f64),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

/// SQL text with the values bound to its placeholders, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            values: Vec::new(),
        }
    }

    /// `inner` between `before` and `after` (a subquery), its values kept.
    pub fn wrap(before: &str, inner: Sql, after: &str) -> Sql {
        Sql {
            text: format!("{before}{}{after}", inner.text),
            values: inner.values,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Sql {
        self.values.push(value.into());
        let _ = write!(self.text, "${}", self.values.len());
        self
    }

    #[cfg(test)]
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        self.values
            .iter()
            .fold(sqlx::query(AssertSqlSafe(self.text.clone())), |q, v| match v {
                Value::Text(s) => q.bind(s.as_str()),
                Value::Int(i) => q.bind(*i),
                Value::Float(f) => q.bind(*f),
            })
    }
}

/// `text` for a `LIKE … ESCAPE '\'` pattern, matched literally.
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT * FROM t WHERE a = ");
        sql.bind("x").push(" AND b > ").bind(3i64);
        assert_eq!(sql.text(), "SELECT * FROM t WHERE a = $1 AND b > $2");
        assert_eq!(sql.values, [Value::Text("x".into()), Value::Int(3)]);
    }

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
