//! Statements built at run time (search filters, batches) with numbered
//! placeholders, `$1`, `$2`, …: PostgreSQL requires them and SQLite reads
//! them by number, so one text serves both databases.

use std::fmt::Write;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

/// A bound value. NULLs keep their type: PostgreSQL refuses a text NULL
/// for a number column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(bool),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_string))
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Value::Text(v.clone())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(Some(v))
    }
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// The most placeholders one statement gets. The databases allow tens of
/// thousands, but sqlx binds SQLite's `$N` by looking each name up among
/// all of the statement's (`sqlite3_bind_parameter_name`), a cost that
/// grows with the square of their number: at 1,000 it was still a fifth, at 6,000 most, of a
/// batch's time.
const MAX_PLACEHOLDERS: usize = 250;

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

    /// `head` followed by one `row` per element of `rows` (comma-separated,
    /// each `?` in `row` a placeholder for the next value), then `tail`: a
    /// multi-row statement, in as few statements as the placeholder limit
    /// allows. Nothing when `rows` is empty.
    pub fn rows(head: &str, row: &str, tail: &str, rows: impl IntoIterator<Item = Vec<Value>>) -> Vec<Sql> {
        let per_row = row.matches('?').count().max(1);
        let mut statements = Vec::new();
        let mut current: Option<Sql> = None;
        for values in rows {
            debug_assert_eq!(values.len(), per_row, "{row}");
            let sql = match &mut current {
                Some(sql) if sql.values.len() + per_row <= MAX_PLACEHOLDERS => {
                    sql.push(", ");
                    sql
                }
                _ => {
                    if let Some(mut full) = current.take() {
                        full.push(tail);
                        statements.push(full);
                    }
                    current.insert(Sql::new(head))
                }
            };
            let mut values = values.into_iter();
            let mut pieces = row.split('?');
            sql.push(pieces.next().unwrap_or_default());
            for piece in pieces {
                sql.bind(values.next().unwrap_or(Value::Text(None))).push(piece);
            }
        }
        if let Some(mut last) = current {
            last.push(tail);
            statements.push(last);
        }
        statements
    }

    /// `(…)` with a placeholder per value, for `IN` lists.
    pub fn push_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Sql {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }

    #[cfg(test)]
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        // sqlx 0.9's Any driver sends a missing f64 as a float4 NULL, and a
        // statement prepared with it rejects the next real f64: such a
        // statement is not cached.
        let cache = !self.values.contains(&Value::Float(None));
        self.values
            .iter()
            .fold(sqlx::query(AssertSqlSafe(self.text.clone())), |q, v| match v {
                Value::Text(s) => q.bind(s.as_deref()),
                Value::Int(i) => q.bind(*i),
                Value::Float(f) => q.bind(*f),
                Value::Bool(b) => q.bind(*b),
            })
            .persistent(cache)
    }

    /// Runs the statement, returning how many rows it changed.
    pub async fn execute(&self, conn: &mut sqlx::AnyConnection) -> Result<u64, crate::StoreError> {
        Ok(self.query().execute(conn).await?.rows_affected())
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
        assert_eq!(sql.values, [Value::from("x"), Value::from(3i64)]);
    }

    #[test]
    fn rows_fill_statements_up_to_the_placeholder_limit() {
        let rows = |n: usize| (0..n as i64).map(|i| vec![Value::from(i), Value::from("w")]);
        let one = Sql::rows("INSERT INTO t VALUES ", "(?, f(?))", " ON CONFLICT DO NOTHING", rows(2));
        assert_eq!(one.len(), 1);
        assert_eq!(
            one[0].text(),
            "INSERT INTO t VALUES ($1, f($2)), ($3, f($4)) ON CONFLICT DO NOTHING"
        );
        let many = Sql::rows("I ", "(?, ?)", "", rows(MAX_PLACEHOLDERS / 2 + 1));
        assert_eq!(many.len(), 2);
        assert_eq!(many[1].values.len(), 2);
        assert!(Sql::rows("I ", "(?)", "", Vec::new()).is_empty());
    }

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
