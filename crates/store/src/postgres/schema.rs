//! Running the PostgreSQL migrations.

use deadpool_postgres::GenericClient;

use super::Client;
use crate::migrations::{self, Migration};
use crate::time::now;
use crate::{Result, StoreError, SystemRoles};

pub(super) async fn version<C: GenericClient>(c: &C) -> Result<u32> {
    let exists: bool = c
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    let v: i32 = c
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await?
        .try_get(0)?;
    Ok(u32::try_from(v).unwrap_or(0))
}

/// Apply each missing step in its own transaction, under an advisory lock per schema, so
/// processes starting together apply each step once.
pub(super) async fn migrate_to(client: &mut Client, target: u32) -> Result<Migration> {
    let from = version(&*client).await?;
    migrations::plan(migrations::POSTGRES, from, target)?;
    loop {
        let tx = client.transaction().await?;
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(hashtext('aleph-migrate:' || current_schema())::bigint);
             CREATE TABLE IF NOT EXISTS schema_version (
                 version INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL
             );",
        )
        .await?;
        let current = version(&tx).await?;
        let Some(step) = migrations::plan(migrations::POSTGRES, current, target)?.first() else {
            tx.commit().await?;
            return Ok(Migration { from, to: current });
        };
        tx.batch_execute(step.sql).await?;
        let v = i32::try_from(step.version)
            .map_err(|_| StoreError::Backend("migration version out of range".into()))?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
            &[&v, &step.name, &now()],
        )
        .await?;
        tx.commit().await?;
    }
}

pub(super) async fn system_roles<C: GenericClient>(c: &C) -> Result<SystemRoles> {
    Ok(SystemRoles {
        guest: system_role(c, crate::roles::GUEST_FOREIGN_ID).await?,
        authenticated: system_role(c, crate::roles::AUTHENTICATED_FOREIGN_ID).await?,
    })
}

async fn system_role<C: GenericClient>(c: &C, foreign_id: &str) -> Result<i64> {
    let row = c
        .query_opt("SELECT id FROM roles WHERE foreign_id = $1", &[&foreign_id])
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("system role {foreign_id} is missing")))?;
    Ok(row.try_get(0)?)
}
