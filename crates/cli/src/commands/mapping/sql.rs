//! Database sources for `aleph map`: SQLite (bundled), PostgreSQL and MySQL/MariaDB.
//!
//! Each driver lists the columns of the query's tables, lets `ftm::mapping::sql` compose the
//! statement, runs it and writes every value as FtM would after SQLAlchemy read it (see
//! `values`). A failure to connect or a missing table is an error before any record.

use std::sync::Arc;

use anyhow::Context;
use ftm::mapping::config::SqlSpec;
use ftm::mapping::record::{bool_text, float_text, sanitize_cell};
use ftm::mapping::sql::{Dialect, SqlQuery, compose, sqlite_path};
use ftm::mapping::{Columns, QueryMapping, Record, SourceError};

use super::sources::{RecordSender, Records, ThreadRecords, redact};
use super::values::{fixed_decimal, iso_date, iso_datetime, iso_time};

pub fn open(dialect: Dialect, spec: &SqlSpec, query: &QueryMapping) -> anyhow::Result<Records> {
    match dialect {
        Dialect::Sqlite => sqlite(spec, query),
        Dialect::Postgres => postgres(spec, query),
        Dialect::Mysql => mysql(spec, query),
    }
}

fn read_error(source_name: &str, e: impl std::fmt::Display) -> SourceError {
    SourceError::Read {
        source_name: source_name.to_string(),
        message: e.to_string(),
    }
}

/// The record of one row: the query's references and the converted values.
fn record(columns: &Arc<Columns>, values: Vec<Option<String>>) -> Record {
    Record::new(
        columns.clone(),
        values
            .into_iter()
            .map(|v| v.and_then(|v| sanitize_cell(&v)))
            .collect(),
    )
}

fn reference_columns(query: &SqlQuery) -> Arc<Columns> {
    Arc::new(Columns::new(
        query.columns.iter().map(|c| c.reference.clone()).collect(),
    ))
}

// --- SQLite --------------------------------------------------------------------------------

/// How SQLAlchemy hands back a value of an SQLite column, by its declared type (SQLite's
/// affinity rules as SQLAlchemy applies them when reflecting a table).
#[derive(Debug, Clone, Copy, PartialEq)]
enum SqliteKind {
    Integer,
    Real,
    Numeric { scale: usize },
    Boolean,
    Date,
    DateTime,
    Time,
    Text,
    Untyped,
}

fn sqlite_kind(declared: &str) -> SqliteKind {
    let declared = declared.trim().to_ascii_uppercase();
    let name_end = declared
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ' '))
        .unwrap_or(declared.len());
    let name = &declared[..name_end];
    let args: Vec<usize> = declared[name_end..]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|d| d.parse().ok())
        .collect();
    let numeric = || SqliteKind::Numeric {
        scale: args.get(1).copied().unwrap_or(10),
    };
    match name {
        "BIGINT" | "INT" | "INTEGER" | "SMALLINT" => SqliteKind::Integer,
        "BLOB" => SqliteKind::Untyped,
        "BOOL" | "BOOLEAN" => SqliteKind::Boolean,
        "CHAR" | "NCHAR" | "NVARCHAR" | "TEXT" | "VARCHAR" | "JSON" | "JSONB" => SqliteKind::Text,
        "DATE" | "DATE_CHAR" => SqliteKind::Date,
        "DATETIME" | "DATETIME_CHAR" | "TIMESTAMP" => SqliteKind::DateTime,
        "DOUBLE" | "FLOAT" | "REAL" => SqliteKind::Real,
        "DECIMAL" | "NUMERIC" => numeric(),
        "TIME" | "TIME_CHAR" => SqliteKind::Time,
        _ if name.contains("INT") => SqliteKind::Integer,
        _ if name.contains("CHAR") || name.contains("CLOB") || name.contains("TEXT") => {
            SqliteKind::Text
        }
        _ if name.contains("BLOB") || name.trim().is_empty() => SqliteKind::Untyped,
        _ if name.contains("REAL") || name.contains("FLOA") || name.contains("DOUB") => {
            SqliteKind::Real
        }
        _ => numeric(),
    }
}

fn sqlite_value(kind: SqliteKind, value: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef as V;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    Some(match (kind, value) {
        (_, V::Null) => return None,
        (SqliteKind::Boolean, V::Integer(i)) => bool_text(i != 0).into(),
        (SqliteKind::Boolean, V::Real(f)) => bool_text(f != 0.0).into(),
        (SqliteKind::Boolean, V::Text(b) | V::Blob(b)) => bool_text(!b.is_empty()).into(),
        (SqliteKind::Numeric { scale }, V::Integer(i)) => fixed_decimal(i as f64, scale),
        (SqliteKind::Numeric { scale }, V::Real(f)) => fixed_decimal(f, scale),
        (SqliteKind::Date, V::Text(b)) => iso_date(&text(b)).unwrap_or_else(|| text(b)),
        (SqliteKind::DateTime, V::Text(b)) => iso_datetime(&text(b)).unwrap_or_else(|| text(b)),
        (SqliteKind::Time, V::Text(b)) => iso_time(&text(b)).unwrap_or_else(|| text(b)),
        (_, V::Integer(i)) => i.to_string(),
        (_, V::Real(f)) => float_text(f),
        (_, V::Text(b) | V::Blob(b)) => text(b),
    })
}

fn sqlite(spec: &SqlSpec, query: &QueryMapping) -> anyhow::Result<Records> {
    let path = sqlite_path(&spec.database)
        .with_context(|| format!("{}: an in-memory database has no tables", spec.database))?;
    let conn = rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open the SQLite database {path}"))?;
    let mut tables: Vec<Vec<(String, String)>> = Vec::new();
    for table in &spec.tables {
        let mut stmt = conn.prepare(&format!(
            "PRAGMA table_info({})",
            Dialect::Sqlite.quote_identifier(&table.table)
        ))?;
        let columns = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(1)?, row.get::<_, String>(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        if columns.is_empty() {
            anyhow::bail!("{path}: no such table: {}", table.table);
        }
        tables.push(columns);
    }
    let names: Vec<Vec<String>> = tables
        .iter()
        .map(|t| t.iter().map(|(n, _)| n.clone()).collect())
        .collect();
    let composed = compose(spec, query.filters(), query.refs(), &names, Dialect::Sqlite)?;
    let kinds: Vec<SqliteKind> = composed
        .columns
        .iter()
        .map(|c| {
            let declared = tables[c.table]
                .iter()
                .find(|(n, _)| *n == c.column)
                .map_or("", |(_, t)| t.as_str());
            sqlite_kind(declared)
        })
        .collect();
    let sql = composed.sql();
    tracing::debug!(%sql, "SQLite query");
    let columns = reference_columns(&composed);
    let name = path.clone();
    Ok(Box::new(ThreadRecords::spawn(
        "sqlite-records",
        move |out: &mut RecordSender| {
            let fail = |e: rusqlite::Error| read_error(&name, e);
            let mut stmt = conn.prepare(&sql).map_err(fail)?;
            let mut rows = stmt.query([]).map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                let mut values = Vec::with_capacity(kinds.len());
                for (i, kind) in kinds.iter().enumerate() {
                    values.push(sqlite_value(*kind, row.get_ref(i).map_err(fail)?));
                }
                if !out.send(record(&columns, values)) {
                    break;
                }
            }
            Ok(())
        },
    )))
}

// --- PostgreSQL ----------------------------------------------------------------------------

/// How a PostgreSQL column is read: natively for booleans and numbers (which Python
/// writes its own way), as text (cast in the query) for everything else.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PgKind {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Date,
    DateTime,
    Time,
    Text,
}

fn pg_kind(t: &postgres::types::Type) -> PgKind {
    use postgres::types::Type;
    match *t {
        Type::BOOL => PgKind::Bool,
        Type::INT2 => PgKind::Int2,
        Type::INT4 => PgKind::Int4,
        Type::INT8 => PgKind::Int8,
        Type::OID => PgKind::Oid,
        Type::FLOAT4 => PgKind::Float4,
        Type::FLOAT8 => PgKind::Float8,
        Type::DATE => PgKind::Date,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => PgKind::DateTime,
        Type::TIME | Type::TIMETZ => PgKind::Time,
        _ => PgKind::Text,
    }
}

/// The connection string without SQLAlchemy's `+driver` part.
fn plain_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.split('+').next().unwrap_or(scheme);
            format!("{scheme}://{rest}")
        }
        None => url.to_string(),
    }
}

fn pg_value(
    kind: PgKind,
    row: &postgres::Row,
    i: usize,
) -> Result<Option<String>, postgres::Error> {
    Ok(match kind {
        PgKind::Bool => row
            .try_get::<_, Option<bool>>(i)?
            .map(|b| bool_text(b).into()),
        PgKind::Int2 => row.try_get::<_, Option<i16>>(i)?.map(|v| v.to_string()),
        PgKind::Int4 => row.try_get::<_, Option<i32>>(i)?.map(|v| v.to_string()),
        PgKind::Int8 => row.try_get::<_, Option<i64>>(i)?.map(|v| v.to_string()),
        PgKind::Oid => row.try_get::<_, Option<u32>>(i)?.map(|v| v.to_string()),
        PgKind::Float4 => row
            .try_get::<_, Option<f32>>(i)?
            .map(|v| float_text(f64::from(v))),
        PgKind::Float8 => row.try_get::<_, Option<f64>>(i)?.map(float_text),
        PgKind::Date => row
            .try_get::<_, Option<String>>(i)?
            .map(|t| iso_date(&t).unwrap_or(t)),
        PgKind::DateTime => row
            .try_get::<_, Option<String>>(i)?
            .map(|t| iso_datetime(&t).unwrap_or(t)),
        PgKind::Time => row
            .try_get::<_, Option<String>>(i)?
            .map(|t| iso_time(&t).unwrap_or(t)),
        PgKind::Text => row.try_get::<_, Option<String>>(i)?,
    })
}

fn postgres(spec: &SqlSpec, query: &QueryMapping) -> anyhow::Result<Records> {
    let url = plain_url(&spec.database);
    let shown = redact(&url);
    let mut client = postgres::Client::connect(&url, postgres::NoTls)
        .with_context(|| format!("cannot connect to {shown}"))?;
    let mut names: Vec<Vec<String>> = Vec::new();
    for table in &spec.tables {
        let stmt = client
            .prepare(&format!(
                "SELECT * FROM {} LIMIT 0",
                Dialect::Postgres.quote_identifier(&table.table)
            ))
            .with_context(|| format!("{shown}: cannot read table {}", table.table))?;
        names.push(
            stmt.columns()
                .iter()
                .map(|c| c.name().to_string())
                .collect(),
        );
    }
    let composed = compose(
        spec,
        query.filters(),
        query.refs(),
        &names,
        Dialect::Postgres,
    )?;
    let probe = client
        .prepare(&composed.sql())
        .with_context(|| format!("{shown}: the query failed"))?;
    let kinds: Vec<PgKind> = probe.columns().iter().map(|c| pg_kind(c.type_())).collect();
    let sql = composed.sql_with(|i, expr| match kinds[i] {
        PgKind::Bool
        | PgKind::Int2
        | PgKind::Int4
        | PgKind::Int8
        | PgKind::Oid
        | PgKind::Float4
        | PgKind::Float8 => expr.to_string(),
        _ => format!("CAST({expr} AS TEXT)"),
    });
    tracing::debug!(%sql, "PostgreSQL query");
    let columns = reference_columns(&composed);
    Ok(Box::new(ThreadRecords::spawn(
        "postgres-records",
        move |out: &mut RecordSender| {
            let fail = |e: postgres::Error| read_error(&shown, e);
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
            let mut rows = client.query_raw(sql.as_str(), params).map_err(fail)?;
            use postgres::fallible_iterator::FallibleIterator;
            while let Some(row) = rows.next().map_err(fail)? {
                let mut values = Vec::with_capacity(kinds.len());
                for (i, kind) in kinds.iter().enumerate() {
                    values.push(pg_value(*kind, &row, i).map_err(fail)?);
                }
                if !out.send(record(&columns, values)) {
                    break;
                }
            }
            Ok(())
        },
    )))
}

// --- MySQL / MariaDB -----------------------------------------------------------------------

fn mysql_value(column_type: mysql::consts::ColumnType, value: mysql::Value) -> Option<String> {
    use mysql::consts::ColumnType as T;
    let text = match value {
        mysql::Value::NULL => return None,
        mysql::Value::Bytes(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        mysql::Value::Int(i) => i.to_string(),
        mysql::Value::UInt(u) => u.to_string(),
        mysql::Value::Float(f) => return Some(float_text(f64::from(f))),
        mysql::Value::Double(f) => return Some(float_text(f)),
        other => other.as_sql(true).trim_matches('\'').to_string(),
    };
    Some(match column_type {
        T::MYSQL_TYPE_FLOAT | T::MYSQL_TYPE_DOUBLE => {
            text.parse::<f64>().map(float_text).unwrap_or(text)
        }
        T::MYSQL_TYPE_DATETIME | T::MYSQL_TYPE_TIMESTAMP | T::MYSQL_TYPE_DATETIME2 => {
            iso_datetime(&text).unwrap_or(text)
        }
        T::MYSQL_TYPE_DATE | T::MYSQL_TYPE_NEWDATE => iso_date(&text).unwrap_or(text),
        _ => text,
    })
}

fn mysql(spec: &SqlSpec, query: &QueryMapping) -> anyhow::Result<Records> {
    use mysql::prelude::Queryable;
    let url = plain_url(&spec.database).replacen("mariadb://", "mysql://", 1);
    let shown = redact(&url);
    // SQLAlchemy URLs may carry driver options (`?charset=utf8mb4`) this client does not know.
    let opts = mysql::Opts::from_url(&url)
        .or_else(|_| mysql::Opts::from_url(url.split('?').next().unwrap_or(&url)))
        .with_context(|| format!("invalid MySQL URL {shown}"))?;
    let mut conn = mysql::Conn::new(opts).with_context(|| format!("cannot connect to {shown}"))?;
    let mut names: Vec<Vec<String>> = Vec::new();
    for table in &spec.tables {
        let result = conn
            .query_iter(format!(
                "SELECT * FROM {} LIMIT 0",
                Dialect::Mysql.quote_identifier(&table.table)
            ))
            .with_context(|| format!("{shown}: cannot read table {}", table.table))?;
        names.push(
            result
                .columns()
                .as_ref()
                .iter()
                .map(|c| c.name_str().into_owned())
                .collect(),
        );
    }
    let composed = compose(spec, query.filters(), query.refs(), &names, Dialect::Mysql)?;
    let sql = composed.sql();
    tracing::debug!(%sql, "MySQL query");
    let columns = reference_columns(&composed);
    Ok(Box::new(ThreadRecords::spawn(
        "mysql-records",
        move |out: &mut RecordSender| {
            let fail = |e: mysql::Error| read_error(&shown, e);
            let mut result = conn.query_iter(sql.as_str()).map_err(fail)?;
            let types: Vec<mysql::consts::ColumnType> = result
                .columns()
                .as_ref()
                .iter()
                .map(|c| c.column_type())
                .collect();
            if let Some(set) = result.iter() {
                for row in set {
                    let row = row.map_err(fail)?;
                    let values = row
                        .unwrap_raw()
                        .into_iter()
                        .zip(&types)
                        .map(|(v, t)| mysql_value(*t, v.unwrap_or(mysql::Value::NULL)))
                        .collect();
                    if !out.send(record(&columns, values)) {
                        break;
                    }
                }
            }
            Ok(())
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_kinds_follow_sqlalchemy_affinity() {
        assert_eq!(sqlite_kind("INTEGER"), SqliteKind::Integer);
        assert_eq!(sqlite_kind("unsigned big int"), SqliteKind::Integer);
        assert_eq!(sqlite_kind("VARCHAR(20)"), SqliteKind::Text);
        assert_eq!(sqlite_kind("NUMERIC"), SqliteKind::Numeric { scale: 10 });
        assert_eq!(
            sqlite_kind("DECIMAL(10,2)"),
            SqliteKind::Numeric { scale: 2 }
        );
        assert_eq!(
            sqlite_kind("DECIMAL(10)"),
            SqliteKind::Numeric { scale: 10 }
        );
        assert_eq!(sqlite_kind("DOUBLE PRECISION"), SqliteKind::Real);
        assert_eq!(sqlite_kind(""), SqliteKind::Untyped);
        assert_eq!(sqlite_kind("FOOBAR"), SqliteKind::Numeric { scale: 10 });
        assert_eq!(sqlite_kind("datetime"), SqliteKind::DateTime);
        assert_eq!(sqlite_kind("BOOLEAN"), SqliteKind::Boolean);
    }

    #[test]
    fn sqlite_values_like_sqlalchemy() {
        use rusqlite::types::ValueRef as V;
        let v = |k, x| sqlite_value(k, x);
        assert_eq!(
            v(SqliteKind::Real, V::Real(1.23456)).as_deref(),
            Some("1.235")
        );
        assert_eq!(
            v(SqliteKind::Integer, V::Integer(42)).as_deref(),
            Some("42")
        );
        assert_eq!(
            v(SqliteKind::Numeric { scale: 10 }, V::Integer(5)).as_deref(),
            Some("5.0000000000")
        );
        assert_eq!(
            v(SqliteKind::Boolean, V::Integer(0)).as_deref(),
            Some("False")
        );
        assert_eq!(
            v(SqliteKind::DateTime, V::Text(b"2020-01-02 10:11:12.500000")).as_deref(),
            Some("2020-01-02T10:11:12.500000")
        );
        assert_eq!(
            v(SqliteKind::Untyped, V::Blob(b"hi")).as_deref(),
            Some("hi")
        );
        assert_eq!(v(SqliteKind::Text, V::Null), None);
    }

    #[test]
    fn urls_lose_driver_and_password() {
        assert_eq!(
            plain_url("postgresql+psycopg2://u:p@h/db"),
            "postgresql://u:p@h/db"
        );
        assert_eq!(
            redact("postgresql://u:secret@h/db"),
            "postgresql://u:***@h/db"
        );
    }
}
