//! The SQL of a database query, without any database: which columns to select, from which
//! tables, with which filters and joins. Drivers (in the `aleph` command) list each table's
//! columns, run the statement and turn rows into [`super::Record`]s.
//!
//! Column references follow FtM: `alias.column`, or a bare `column` found in the first
//! table that has it. Filter values are written into the statement as literals, typed as in
//! the YAML (text quoted, numbers as numbers), so that the database compares them with its
//! own rules, as SQLAlchemy's bound parameters do.

use super::MappingError;
use super::config::{Filter, FilterValue, SqlSpec};

/// The SQL flavour of a connection string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    /// The dialect of an SQLAlchemy-style URL (`postgresql+psycopg2://…`, `sqlite:///x.db`,
    /// `mysql+pymysql://…`, `mariadb://…`).
    pub fn from_url(url: &str) -> Option<Dialect> {
        let scheme = url.split_once(':')?.0;
        let scheme = scheme.split('+').next().unwrap_or(scheme);
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgresql" | "postgres" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            _ => None,
        }
    }

    pub fn quote_identifier(self, name: &str) -> String {
        match self {
            Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
            Dialect::Sqlite | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn quote_text(self, text: &str) -> String {
        let escaped = text.replace('\'', "''");
        match self {
            // MySQL reads backslash escapes in string literals unless told otherwise.
            Dialect::Mysql => format!("'{}'", escaped.replace('\\', "\\\\")),
            Dialect::Sqlite | Dialect::Postgres => format!("'{escaped}'"),
        }
    }

    fn literal(self, value: &FilterValue) -> String {
        match value {
            FilterValue::Text(t) => self.quote_text(t),
            FilterValue::Integer(n) | FilterValue::Float(n) => n.clone(),
            FilterValue::Bool(b) => match (self, b) {
                (Dialect::Postgres, true) => "TRUE".into(),
                (Dialect::Postgres, false) => "FALSE".into(),
                (_, true) => "1".into(),
                (_, false) => "0".into(),
            },
            FilterValue::Null => "NULL".into(),
        }
    }
}

/// The file of an SQLAlchemy SQLite URL: `sqlite:///rel.db` is relative, `sqlite:////abs.db`
/// absolute; `sqlite://` and `sqlite:///:memory:` are an empty in-memory database (`None`).
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let path = rest.strip_prefix('/').unwrap_or(rest);
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// One selected column: the mapping's reference and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectColumn {
    /// The reference as the mapping writes it (`p.name` or `name`).
    pub reference: String,
    /// Index of the table in the query's table list.
    pub table: usize,
    pub column: String,
    /// The quoted `alias.column` expression.
    pub expr: String,
}

/// A composed `SELECT`.
#[derive(Debug, Clone)]
pub struct SqlQuery {
    pub columns: Vec<SelectColumn>,
    from: String,
    conditions: Vec<String>,
}

impl SqlQuery {
    /// The statement, selecting each column as `c0`, `c1`…
    pub fn sql(&self) -> String {
        self.sql_with(|_, expr| expr.to_string())
    }

    /// The statement with each selected expression passed through `wrap(index, expr)`
    /// (a driver may cast types it cannot read, e.g. PostgreSQL `numeric` to text).
    pub fn sql_with(&self, wrap: impl Fn(usize, &str) -> String) -> String {
        let select: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} AS c{i}", wrap(i, &c.expr)))
            .collect();
        let mut sql = format!("SELECT {} FROM {}", select.join(", "), self.from);
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
        sql
    }
}

/// Compose the query for `refs` (the mapping's columns) over the tables of `spec`, whose
/// columns the driver listed in `table_columns` (same order as `spec.tables`).
pub fn compose(
    spec: &SqlSpec,
    filters: &[Filter],
    refs: &[String],
    table_columns: &[Vec<String>],
    dialect: Dialect,
) -> Result<SqlQuery, MappingError> {
    let q = |s: &str| dialect.quote_identifier(s);
    let resolve = |reference: &str| -> Result<SelectColumn, MappingError> {
        for (i, (table, columns)) in spec.tables.iter().zip(table_columns).enumerate() {
            let found = columns.iter().find(|c| {
                reference == c.as_str()
                    || reference
                        .strip_prefix(table.alias.as_str())
                        .and_then(|r| r.strip_prefix('.'))
                        == Some(c.as_str())
            });
            if let Some(column) = found {
                return Ok(SelectColumn {
                    reference: reference.to_string(),
                    table: i,
                    column: column.clone(),
                    expr: format!("{}.{}", q(&table.alias), q(column)),
                });
            }
        }
        Err(MappingError::Invalid(format!(
            "Missing reference: {reference}"
        )))
    };
    let columns = refs
        .iter()
        .map(|r| resolve(r))
        .collect::<Result<Vec<_>, _>>()?;
    let from = spec
        .tables
        .iter()
        .map(|t| format!("{} AS {}", q(&t.table), q(&t.alias)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut conditions = Vec::new();
    // `filters` before `filters_not`, as FtM applies them.
    for negate in [false, true] {
        for filter in filters.iter().filter(|f| f.negate == negate) {
            let column = resolve(&filter.column)?.expr;
            conditions.push(condition(&column, filter, dialect));
        }
    }
    for join in &spec.joins {
        let left = resolve(&join.left)?.expr;
        let right = resolve(&join.right)?.expr;
        conditions.push(format!("{left} = {right}"));
    }
    Ok(SqlQuery {
        columns,
        from,
        conditions,
    })
}

fn condition(column: &str, filter: &Filter, dialect: Dialect) -> String {
    if filter.list {
        let values: Vec<String> = filter.values.iter().map(|v| dialect.literal(v)).collect();
        // An empty list matches nothing (and `NOT IN` of nothing everything).
        if values.is_empty() {
            return if filter.negate { "1 = 1" } else { "1 = 0" }.to_string();
        }
        let op = if filter.negate { "NOT IN" } else { "IN" };
        return format!("{column} {op} ({})", values.join(", "));
    }
    match (filter.values.first(), filter.negate) {
        (Some(FilterValue::Null) | None, false) => format!("{column} IS NULL"),
        (Some(FilterValue::Null) | None, true) => format!("{column} IS NOT NULL"),
        (Some(v), false) => format!("{column} = {}", dialect.literal(v)),
        (Some(v), true) => format!("{column} != {}", dialect.literal(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::config::{Join, TableRef};

    fn spec() -> SqlSpec {
        SqlSpec {
            database: "sqlite:///x.db".into(),
            tables: vec![
                TableRef {
                    table: "people".into(),
                    alias: "p".into(),
                },
                TableRef {
                    table: "companies".into(),
                    alias: "companies".into(),
                },
            ],
            joins: vec![Join {
                left: "p.company_id".into(),
                right: "companies.id".into(),
            }],
        }
    }

    fn columns() -> Vec<Vec<String>> {
        vec![
            vec!["id".into(), "name".into(), "company_id".into()],
            vec!["id".into(), "name".into(), "it's".into()],
        ]
    }

    #[test]
    fn resolves_references_and_composes() {
        let filters = vec![
            Filter {
                column: "companies.name".into(),
                values: vec![
                    FilterValue::Text("O'Brien".into()),
                    FilterValue::Integer("5".into()),
                ],
                list: true,
                negate: false,
            },
            Filter {
                column: "p.name".into(),
                values: vec![FilterValue::Null],
                list: false,
                negate: true,
            },
        ];
        let refs: Vec<String> = vec!["id".into(), "companies.id".into(), "it's".into()];
        let query = compose(&spec(), &filters, &refs, &columns(), Dialect::Sqlite).unwrap();
        // A bare name is the first table's column.
        assert_eq!(query.columns[0].table, 0);
        assert_eq!(query.columns[1].table, 1);
        assert_eq!(query.columns[2].expr, "\"companies\".\"it's\"");
        assert_eq!(
            query.sql(),
            "SELECT \"p\".\"id\" AS c0, \"companies\".\"id\" AS c1, \"companies\".\"it's\" AS c2 \
             FROM \"people\" AS \"p\", \"companies\" AS \"companies\" \
             WHERE \"companies\".\"name\" IN ('O''Brien', 5) AND \"p\".\"name\" IS NOT NULL \
             AND \"p\".\"company_id\" = \"companies\".\"id\""
        );
        let mysql = compose(&spec(), &filters, &refs, &columns(), Dialect::Mysql).unwrap();
        assert!(
            mysql.sql().starts_with("SELECT `p`.`id` AS c0"),
            "{}",
            mysql.sql()
        );
    }

    #[test]
    fn unknown_references_are_errors() {
        let refs = vec!["people.id".to_string()];
        let err = compose(&spec(), &[], &refs, &columns(), Dialect::Postgres).unwrap_err();
        assert!(err.to_string().contains("Missing reference: people.id"));
    }

    #[test]
    fn dialects_and_paths_from_urls() {
        assert_eq!(
            Dialect::from_url("postgresql+psycopg2://u@h/db"),
            Some(Dialect::Postgres)
        );
        assert_eq!(Dialect::from_url("sqlite:///a.db"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::from_url("mariadb://h/db"), Some(Dialect::Mysql));
        assert_eq!(Dialect::from_url("oracle://h/db"), None);
        assert_eq!(
            sqlite_path("sqlite:///data/a.db").as_deref(),
            Some("data/a.db")
        );
        assert_eq!(
            sqlite_path("sqlite:////tmp/a.db").as_deref(),
            Some("/tmp/a.db")
        );
        assert_eq!(sqlite_path("sqlite://"), None);
        assert_eq!(sqlite_path("sqlite:///:memory:"), None);
        assert_eq!(Dialect::Mysql.quote_text("a\\'b"), "'a\\\\''b'");
    }
}
