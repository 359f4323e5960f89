//! Running the SQLite migrations.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::migrations::{self, Migration};
use crate::time::{now, to_micros};
use crate::{Result, SystemRoles};

pub(super) fn version(conn: &Connection) -> Result<u32> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(0);
    }
    let v: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    Ok(u32::try_from(v).unwrap_or(u32::MAX))
}

/// Apply each missing step in its own immediate transaction; the version is re-read under
/// the write lock, so two processes migrating at once apply each step once.
pub(super) fn migrate_to(conn: &mut Connection, target: u32) -> Result<Migration> {
    let from = version(conn)?;
    migrations::plan(migrations::SQLITE, from, target)?;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 version INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 applied_at INTEGER NOT NULL
             )",
        )?;
        let current = version(&tx)?;
        let Some(step) = migrations::plan(migrations::SQLITE, current, target)?.first() else {
            tx.commit()?;
            return Ok(Migration { from, to: current });
        };
        tx.execute_batch(step.sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![step.version, step.name, to_micros(now())],
        )?;
        tx.commit()?;
    }
}

pub(super) fn system_roles(conn: &Connection) -> Result<SystemRoles> {
    let id = |fid: &str| -> Result<i64> {
        conn.query_row("SELECT id FROM roles WHERE foreign_id = ?1", [fid], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| crate::StoreError::Corrupt(format!("system role {fid} is missing")))
    };
    Ok(SystemRoles {
        guest: id(crate::roles::GUEST_FOREIGN_ID)?,
        authenticated: id(crate::roles::AUTHENTICATED_FOREIGN_ID)?,
    })
}
