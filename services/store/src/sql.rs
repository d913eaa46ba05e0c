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
    // NULLs keep their type: PostgreSQL types each placeholder.
    NullText,
    NullInt,
    NullFloat,
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Value::NullText, Value::from)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::NullInt, Value::Int)
    }
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Value::NullFloat, Value::Float)
    }
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
                Value::NullText => q.bind(None::<String>),
                Value::NullInt => q.bind(None::<i64>),
                Value::NullFloat => q.bind(None::<f64>),
            })
    }

    /// `head`, then `rows` as `($1, $2), ($3, $4), …`, then `tail`: one
    /// statement per run of rows that stays within both databases' limit
    /// on placeholders. No statement when `rows` is empty.
    pub fn insert_rows(head: &str, rows: &[Vec<Value>], tail: &str) -> Vec<Sql> {
        let width = rows.first().map_or(1, Vec::len).max(1);
        rows.chunks((MAX_PLACEHOLDERS / width).max(1))
            .map(|chunk| {
                let mut sql = Sql::new(head);
                for (i, row) in chunk.iter().enumerate() {
                    sql.push(if i == 0 { "(" } else { ", (" });
                    for (j, value) in row.iter().enumerate() {
                        if j > 0 {
                            sql.push(", ");
                        }
                        sql.bind(value.clone());
                    }
                    sql.push(")");
                }
                sql.push(tail);
                sql
            })
            .collect()
    }

    /// `(v1, v2, …)` for an `IN` list; `(NULL)` (matching nothing) when
    /// `values` is empty.
    pub fn bind_list(&mut self, values: impl IntoIterator<Item = Value>) -> &mut Sql {
        self.push("(");
        let mut empty = true;
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
            empty = false;
        }
        if empty {
            self.push("NULL");
        }
        self.push(")")
    }
}

/// Placeholders per statement: below SQLite's 32,766 and PostgreSQL's
/// 65,535, with room for a statement's other values.
const MAX_PLACEHOLDERS: usize = 30_000;

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
    fn rows_are_numbered_and_split_at_the_placeholder_limit() {
        let rows = vec![vec![Value::Int(1), Value::NullText]; 2];
        let sql = Sql::insert_rows("INSERT INTO t (a, b) VALUES ", &rows, " ON CONFLICT DO NOTHING");
        assert_eq!(sql.len(), 1);
        assert_eq!(
            sql[0].text(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
        let many = vec![vec![Value::Int(1); 3]; 25_000];
        let split = Sql::insert_rows("INSERT INTO t VALUES ", &many, "");
        assert_eq!(split.len(), 3);
        assert!(split.iter().all(|s| s.values.len() <= MAX_PLACEHOLDERS));
        assert_eq!(split.iter().map(|s| s.values.len()).sum::<usize>(), 75_000);
        assert!(Sql::insert_rows("INSERT INTO t VALUES ", &[], "").is_empty());
    }

    #[test]
    fn empty_lists_match_nothing() {
        let mut sql = Sql::new("SELECT 1 WHERE a IN ");
        sql.bind_list([]);
        assert_eq!(sql.text(), "SELECT 1 WHERE a IN (NULL)");
        let mut sql = Sql::new("SELECT 1 WHERE a IN ");
        sql.bind_list([Value::Int(1), Value::Int(2)]);
        assert_eq!(sql.text(), "SELECT 1 WHERE a IN ($1, $2)");
    }

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
