//! SQLite databases: a `Workbook` with one `Table` per table, its columns named as in the
//! database.
//!
//! The file is evidence, and possibly hostile: it is opened read-only and `immutable`
//! (no journal or WAL recovery writes, no locks), with SQLite's defensive mode on and
//! untrusted-schema functions off. Only `SELECT * FROM` each ordinary table runs; views,
//! triggers and virtual tables (which would run code or need modules) are never queried,
//! and nothing is attached.

use std::path::Path;

use ftm::Entity;
use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::super::{entity_id, schema};
use super::{TableWriter, sheet_table};
use crate::{Context, IngestError, Sink};

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let conn = open(path)?;
    let tables = table_names(&conn)?;
    entity.set_schema(schema("Workbook")?);
    let workbook_id = entity_id(entity)?;
    if tables.len() as u64 > ctx.limits.max_members {
        return Err(IngestError::limit(format!(
            "database has more than {} tables",
            ctx.limits.max_members
        )));
    }
    for name in tables {
        let mut table = sheet_table(&workbook_id, &name)?;
        let mut writer = TableWriter::new(ctx, table.id().unwrap_or_default())?;
        let columns = copy_rows(&conn, &name, &mut writer)?;
        writer.finish(&mut table, Some(columns), sink)?;
        sink.entity(table)?;
    }
    Ok(())
}

fn open(path: &Path) -> Result<Connection, IngestError> {
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags).map_err(sql_error)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .map_err(sql_error)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
        .map_err(sql_error)?;
    Ok(conn)
}

/// A path written for a `file:` URI: `%`, `?` and `#` escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// The ordinary tables, internal ones (`sqlite_…`) and virtual ones left out.
fn table_names(conn: &Connection) -> Result<Vec<String>, IngestError> {
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .map_err(sql_error)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })
        .map_err(sql_error)?;
    let mut names = Vec::new();
    for row in rows {
        let (name, sql) = row.map_err(sql_error)?;
        let is_virtual = sql.as_deref().is_some_and(|s| {
            s.trim_start()
                .to_ascii_uppercase()
                .starts_with("CREATE VIRTUAL")
        });
        if !name.starts_with("sqlite_") && !is_virtual {
            names.push(name);
        }
    }
    Ok(names)
}

/// Stream every row of `table` into `writer`; returns the column names.
fn copy_rows(
    conn: &Connection,
    table: &str,
    writer: &mut TableWriter,
) -> Result<Vec<String>, IngestError> {
    let sql = format!("SELECT * FROM \"{}\"", table.replace('"', "\"\""));
    let mut stmt = conn.prepare(&sql).map_err(sql_error)?;
    let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let width = columns.len();
    let mut rows = stmt.query([]).map_err(sql_error)?;
    let mut cells: Vec<String> = Vec::with_capacity(width);
    while let Some(row) = rows.next().map_err(sql_error)? {
        cells.clear();
        for i in 0..width {
            cells.push(value_text(row.get_ref(i).map_err(sql_error)?));
        }
        writer.row(&cells)?;
    }
    Ok(columns)
}

fn value_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        // Binary values have no text; a BLOB that holds text (common) is kept.
        ValueRef::Blob(b) => std::str::from_utf8(b)
            .map(str::to_string)
            .unwrap_or_default(),
    }
}

fn sql_error(err: rusqlite::Error) -> IngestError {
    let text = err.to_string();
    if let rusqlite::Error::SqliteFailure(code, _) = &err
        && code.code == rusqlite::ErrorCode::NotADatabase
    {
        return IngestError::corrupt(format!(
            "not a readable SQLite database (or an encrypted one): {text}"
        ));
    }
    IngestError::corrupt(format!("cannot read SQLite database: {text}"))
}
