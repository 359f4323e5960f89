//! Roles, memberships and sessions in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::collections::role_kind;
use super::{is_unique_violation, query};
use crate::roles::{email_key, prefix_page};
use crate::secrets::sha256_hex;
use crate::{
    ApiKey, NewRole, Page, PasswordHash, Result, Role, RoleKind, RoleQuery, RoleRemoval,
    RoleUpdate, SessionToken, StoreError, Timestamp,
};

const COLUMNS: &str = "id, kind, foreign_id, name, email, password_hash, \
    api_key_digest IS NOT NULL, api_key_expires_at, is_admin, is_blocked, is_muted, is_tester, \
    locale, created_at, updated_at, last_login_at";

fn read(row: &Row) -> Result<Role> {
    Ok(Role {
        id: row.try_get(0)?,
        kind: RoleKind::parse(row.try_get(1)?)?,
        foreign_id: row.try_get(2)?,
        name: row.try_get(3)?,
        email: row.try_get(4)?,
        password: row
            .try_get::<_, Option<String>>(5)?
            .map(PasswordHash::from_phc),
        has_api_key: row.try_get(6)?,
        api_key_expires_at: row.try_get(7)?,
        is_admin: row.try_get(8)?,
        is_blocked: row.try_get(9)?,
        is_muted: row.try_get(10)?,
        is_tester: row.try_get(11)?,
        locale: row.try_get(12)?,
        created_at: row.try_get(13)?,
        updated_at: row.try_get(14)?,
        last_login_at: row.try_get(15)?,
    })
}

async fn roles<C: GenericClient>(
    c: &C,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Role>> {
    query(c, sql, args).await?.iter().map(read).collect()
}

async fn one<C: GenericClient>(
    c: &C,
    filter: &str,
    arg: &(dyn ToSql + Sync),
    key: impl ToString,
) -> Result<Role> {
    let sql = format!("SELECT {COLUMNS} FROM roles WHERE {filter}");
    roles(c, &sql, &[arg])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("role", key))
}

pub(super) async fn get<C: GenericClient>(c: &C, id: i64) -> Result<Role> {
    one(c, "id = $1", &id, id).await
}

pub(super) async fn by_foreign_id<C: GenericClient>(c: &C, foreign_id: &str) -> Result<Role> {
    one(c, "foreign_id = $1", &foreign_id, foreign_id).await
}

pub(super) async fn by_email<C: GenericClient>(c: &C, email: &str) -> Result<Role> {
    one(
        c,
        "kind = 'user' AND email_key = $1",
        &email_key(email),
        email,
    )
    .await
}

pub(super) async fn by_api_key<C: GenericClient>(
    c: &C,
    key: &str,
    now: Timestamp,
) -> Result<Option<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE api_key_digest = $1 AND kind = 'user'
         AND NOT is_blocked AND (api_key_expires_at IS NULL OR api_key_expires_at > $2)"
    );
    Ok(roles(c, &sql, &[&sha256_hex(key), &now])
        .await?
        .into_iter()
        .next())
}

async fn email_taken<C: GenericClient>(c: &C, email: &str, except: Option<i64>) -> Result<bool> {
    let rows = query(
        c,
        "SELECT id FROM roles WHERE kind = 'user' AND email_key = $1",
        &[&email_key(email)],
    )
    .await?;
    for row in rows {
        let id: i64 = row.try_get(0)?;
        if Some(id) != except {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) async fn create<C: GenericClient>(c: &C, new: NewRole, now: Timestamp) -> Result<Role> {
    if by_foreign_id(c, &new.foreign_id).await.is_ok() {
        return Err(StoreError::conflict("role", &new.foreign_id));
    }
    if new.kind() == RoleKind::User
        && let Some(email) = &new.email
        && email_taken(c, email, None).await?
    {
        return Err(StoreError::conflict("user email", email));
    }
    let key = new.email.as_deref().map(email_key);
    let rows = query(
        c,
        "INSERT INTO roles (kind, foreign_id, name, email, email_key, password_hash, is_admin,
             locale, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         RETURNING id",
        &[
            &new.kind().as_str(),
            &new.foreign_id,
            &new.name,
            &new.email,
            &key,
            &new.password.as_ref().map(PasswordHash::as_str),
            &new.is_admin,
            &new.locale,
            &now,
        ],
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::conflict("role", &new.foreign_id)
        } else {
            e
        }
    })?;
    let id: i64 = rows
        .first()
        .ok_or_else(|| StoreError::Backend("insert returned no id".into()))?
        .try_get(0)?;
    get(c, id).await
}

pub(super) async fn list<C: GenericClient>(c: &C, q: &RoleQuery) -> Result<Page<Role>> {
    let mut filter = String::from(" WHERE TRUE");
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    if let Some(kind) = q.kind {
        args.push(Box::new(kind.as_str()));
        filter.push_str(&format!(" AND kind = ${}", args.len()));
    }
    if let Some(email) = &q.email {
        args.push(Box::new(email_key(email)));
        filter.push_str(&format!(" AND email_key = ${}", args.len()));
    }
    if let Some(ids) = &q.ids {
        args.push(Box::new(ids.clone()));
        filter.push_str(&format!(" AND id = ANY(${})", args.len()));
    }
    let mut refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    if let Some(prefix) = q.folded_prefix() {
        let sql = format!("SELECT id, name FROM roles{filter} ORDER BY id");
        let candidates = query(c, &sql, &refs)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<(i64, String)>>>()?;
        let (ids, total) = prefix_page(candidates, &prefix, q.limit, q.offset);
        let sql = format!("SELECT {COLUMNS} FROM roles WHERE id = ANY($1) ORDER BY id");
        return Ok(Page {
            items: roles(c, &sql, &[&ids]).await?,
            total,
        });
    }
    let total: i64 = query(c, &format!("SELECT COUNT(*) FROM roles{filter}"), &refs)
        .await?
        .first()
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let limit = i64::from(q.limit);
    let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
    refs.push(&limit);
    refs.push(&offset);
    let sql = format!(
        "SELECT {COLUMNS} FROM roles{filter} ORDER BY id LIMIT ${} OFFSET ${}",
        refs.len() - 1,
        refs.len()
    );
    Ok(Page {
        items: roles(c, &sql, &refs).await?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

fn not_system(role: &Role) -> Result<()> {
    if role.kind == RoleKind::System {
        return Err(StoreError::invalid("system roles cannot be changed"));
    }
    Ok(())
}

pub(super) async fn update<C: GenericClient>(
    c: &C,
    id: i64,
    update: RoleUpdate,
    now: Timestamp,
) -> Result<Role> {
    let old = get(c, id).await?;
    not_system(&old)?;
    let new = update.apply(old.clone())?;
    if let Some(email) = &new.email
        && new.email != old.email
        && email_taken(c, email, Some(id)).await?
    {
        return Err(StoreError::conflict("user email", email));
    }
    let key = new.email.as_deref().map(email_key);
    query(
        c,
        "UPDATE roles SET name = $2, email = $3, email_key = $4, password_hash = $5,
             is_admin = $6, is_muted = $7, is_tester = $8, locale = $9, updated_at = $10
         WHERE id = $1",
        &[
            &id,
            &new.name,
            &new.email,
            &key,
            &new.password.as_ref().map(PasswordHash::as_str),
            &new.is_admin,
            &new.is_muted,
            &new.is_tester,
            &new.locale,
            &now,
        ],
    )
    .await?;
    get(c, id).await
}

async fn user<C: GenericClient>(c: &C, id: i64) -> Result<Role> {
    let role = get(c, id).await?;
    if role.kind != RoleKind::User {
        return Err(StoreError::invalid(format!("role {id} is not a user")));
    }
    Ok(role)
}

pub(super) async fn set_blocked<C: GenericClient>(
    c: &C,
    id: i64,
    blocked: bool,
    now: Timestamp,
) -> Result<Role> {
    user(c, id).await?;
    c.execute(
        "UPDATE roles SET is_blocked = $2, updated_at = $3 WHERE id = $1",
        &[&id, &blocked, &now],
    )
    .await?;
    if blocked {
        c.execute("DELETE FROM sessions WHERE role_id = $1", &[&id])
            .await?;
    }
    get(c, id).await
}

pub(super) async fn record_login<C: GenericClient>(c: &C, id: i64, now: Timestamp) -> Result<()> {
    let n = c
        .execute(
            "UPDATE roles SET last_login_at = $2 WHERE id = $1",
            &[&id, &now],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("role", id));
    }
    Ok(())
}

pub(super) async fn set_api_key<C: GenericClient>(
    c: &C,
    id: i64,
    key: Option<&ApiKey>,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<()> {
    user(c, id).await?;
    c.execute(
        "UPDATE roles SET api_key_digest = $2, api_key_expires_at = $3, updated_at = $4
         WHERE id = $1",
        &[&id, &key.map(ApiKey::digest), &expires_at, &now],
    )
    .await?;
    Ok(())
}

pub(super) async fn delete<C: GenericClient>(c: &C, id: i64) -> Result<RoleRemoval> {
    // Lock the role so nobody adds a membership or permission for it meanwhile.
    if query(c, "SELECT id FROM roles WHERE id = $1 FOR UPDATE", &[&id])
        .await?
        .is_empty()
    {
        return Err(StoreError::not_found("role", id));
    }
    not_system(&get(c, id).await?)?;
    let removal = RoleRemoval {
        memberships: c
            .execute(
                "DELETE FROM role_memberships WHERE group_id = $1 OR member_id = $1",
                &[&id],
            )
            .await?,
        permissions: c
            .execute("DELETE FROM permissions WHERE role_id = $1", &[&id])
            .await?,
        sessions: c
            .execute("DELETE FROM sessions WHERE role_id = $1", &[&id])
            .await?,
        collections_orphaned: c
            .execute(
                "UPDATE collections SET creator_id = NULL WHERE creator_id = $1",
                &[&id],
            )
            .await?,
    };
    c.execute("DELETE FROM roles WHERE id = $1", &[&id]).await?;
    Ok(removal)
}

pub(super) async fn add_member<C: GenericClient>(
    c: &C,
    group_id: i64,
    member_id: i64,
    now: Timestamp,
) -> Result<()> {
    if role_kind(c, group_id).await? != RoleKind::Group {
        return Err(StoreError::invalid(format!(
            "role {group_id} is not a group"
        )));
    }
    if role_kind(c, member_id).await? != RoleKind::User {
        return Err(StoreError::invalid(format!(
            "role {member_id} is not a user"
        )));
    }
    c.execute(
        "INSERT INTO role_memberships (group_id, member_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&group_id, &member_id, &now],
    )
    .await?;
    Ok(())
}

pub(super) async fn remove_member<C: GenericClient>(
    c: &C,
    group_id: i64,
    member_id: i64,
) -> Result<bool> {
    let n = c
        .execute(
            "DELETE FROM role_memberships WHERE group_id = $1 AND member_id = $2",
            &[&group_id, &member_id],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn groups_of<C: GenericClient>(c: &C, member_id: i64) -> Result<Vec<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE id IN
         (SELECT group_id FROM role_memberships WHERE member_id = $1) ORDER BY id"
    );
    roles(c, &sql, &[&member_id]).await
}

pub(super) async fn members_of<C: GenericClient>(c: &C, group_id: i64) -> Result<Vec<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE id IN
         (SELECT member_id FROM role_memberships WHERE group_id = $1) ORDER BY id"
    );
    roles(c, &sql, &[&group_id]).await
}

pub(super) async fn create_session<C: GenericClient>(
    c: &C,
    role_id: i64,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<SessionToken> {
    let role = user(c, role_id).await?;
    if role.is_blocked {
        return Err(StoreError::invalid(format!("user {role_id} is blocked")));
    }
    let token = SessionToken::generate(role_id)?;
    c.execute(
        "INSERT INTO sessions (digest, role_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        &[&sha256_hex(token.as_str()), &role_id, &now, &expires_at],
    )
    .await?;
    Ok(token)
}

pub(super) async fn resolve_session<C: GenericClient>(
    c: &C,
    token: &str,
    now: Timestamp,
) -> Result<Option<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE NOT is_blocked AND id =
         (SELECT role_id FROM sessions WHERE digest = $1 AND expires_at > $2)"
    );
    Ok(roles(c, &sql, &[&sha256_hex(token), &now])
        .await?
        .into_iter()
        .next())
}

pub(super) async fn delete_session<C: GenericClient>(c: &C, token: &str) -> Result<bool> {
    let n = c
        .execute(
            "DELETE FROM sessions WHERE digest = $1",
            &[&sha256_hex(token)],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn delete_expired_sessions<C: GenericClient>(
    c: &C,
    now: Timestamp,
) -> Result<u64> {
    Ok(
        c.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])
            .await?,
    )
}
