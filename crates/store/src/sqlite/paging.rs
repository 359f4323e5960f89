//! One page of a filtered listing: the count of every matching row, then the rows of the
//! page, the same way for every list the store serves.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use crate::{Page, Result};

/// The SQL of a listing.
pub(super) struct Listing<'a> {
    pub columns: &'a str,
    /// The `FROM` clause with its `WHERE` filter; `args` are its parameters, in order.
    pub from: &'a str,
    pub order: &'a str,
}

/// Count what `listing` matches, then read `limit` rows of it after `offset`.
pub(super) fn page<T>(
    conn: &Connection,
    listing: Listing<'_>,
    mut args: Vec<Value>,
    limit: u32,
    offset: u64,
    read: fn(&Row<'_>) -> Result<T>,
) -> Result<Page<T>> {
    let Listing {
        columns,
        from,
        order,
    } = listing;
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM {from}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    args.push(Value::Integer(i64::from(limit)));
    args.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {columns} FROM {from} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(read(row)?);
    }
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}
