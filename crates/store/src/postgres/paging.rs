//! One page of a filtered listing: the count of every matching row, then the rows of the
//! page, the same way for every list the store serves.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::query;
use crate::{Page, Result};

/// The SQL of a listing.
pub(super) struct Listing<'a> {
    pub columns: &'a str,
    /// The `FROM` clause with its `WHERE` filter; `args` are its parameters, in order.
    pub from: &'a str,
    pub order: &'a str,
}

/// Count what `listing` matches, then read `limit` rows of it after `offset`.
pub(super) async fn page<C: GenericClient, T>(
    c: &C,
    listing: Listing<'_>,
    args: &[&(dyn ToSql + Sync)],
    limit: u32,
    offset: u64,
    read: fn(&Row) -> Result<T>,
) -> Result<Page<T>> {
    let Listing {
        columns,
        from,
        order,
    } = listing;
    let total: i64 = query(c, &format!("SELECT COUNT(*) FROM {from}"), args)
        .await?
        .first()
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let limit = i64::from(limit);
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let mut args = args.to_vec();
    args.push(&limit);
    args.push(&offset);
    let sql = format!(
        "SELECT {columns} FROM {from} ORDER BY {order} LIMIT ${} OFFSET ${}",
        args.len() - 1,
        args.len()
    );
    let items = query(c, &sql, &args)
        .await?
        .iter()
        .map(read)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}
