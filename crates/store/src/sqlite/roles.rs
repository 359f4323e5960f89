//! Roles, memberships and sessions in SQLite.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::collections::role_kind;
use super::{ids_json, opt_time, time};
use crate::roles::{email_key, prefix_page};
use crate::secrets::sha256_hex;
use crate::time::to_micros;
use crate::{
    ApiKey, NewRole, Page, PasswordHash, Result, Role, RoleKind, RoleQuery, RoleRemoval,
    RoleUpdate, SessionToken, StoreError, Timestamp,
};

const COLUMNS: &str = "id, kind, foreign_id, name, email, password_hash, \
    api_key_digest IS NOT NULL, api_key_expires_at, is_admin, is_blocked, is_muted, is_tester, \
    locale, created_at, updated_at, last_login_at";

fn read(row: &Row<'_>) -> Result<Role> {
    Ok(Role {
        id: row.get(0)?,
        kind: RoleKind::parse(&row.get::<_, String>(1)?)?,
        foreign_id: row.get(2)?,
        name: row.get(3)?,
        email: row.get(4)?,
        password: row.get::<_, Option<String>>(5)?.map(PasswordHash::from_phc),
        has_api_key: row.get(6)?,
        api_key_expires_at: opt_time(row.get(7)?)?,
        is_admin: row.get(8)?,
        is_blocked: row.get(9)?,
        is_muted: row.get(10)?,
        is_tester: row.get(11)?,
        locale: row.get(12)?,
        created_at: time(row.get(13)?)?,
        updated_at: time(row.get(14)?)?,
        last_login_at: opt_time(row.get(15)?)?,
    })
}

fn query_roles(conn: &Connection, sql: &str, args: &[Value]) -> Result<Vec<Role>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}

fn one(conn: &Connection, filter: &str, arg: Value, key: impl ToString) -> Result<Role> {
    let sql = format!("SELECT {COLUMNS} FROM roles WHERE {filter}");
    query_roles(conn, &sql, &[arg])?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("role", key))
}

pub(super) fn get(conn: &Connection, id: i64) -> Result<Role> {
    one(conn, "id = ?1", Value::Integer(id), id)
}

pub(super) fn by_foreign_id(conn: &Connection, foreign_id: &str) -> Result<Role> {
    one(
        conn,
        "foreign_id = ?1",
        Value::Text(foreign_id.into()),
        foreign_id,
    )
}

pub(super) fn by_email(conn: &Connection, email: &str) -> Result<Role> {
    one(
        conn,
        "kind = 'user' AND email_key = ?1",
        Value::Text(email_key(email)),
        email,
    )
}

pub(super) fn by_api_key(conn: &Connection, key: &str, now: Timestamp) -> Result<Option<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE api_key_digest = ?1 AND kind = 'user'
         AND is_blocked = 0 AND (api_key_expires_at IS NULL OR api_key_expires_at > ?2)"
    );
    let args = [Value::Text(sha256_hex(key)), Value::Integer(to_micros(now))];
    Ok(query_roles(conn, &sql, &args)?.into_iter().next())
}

fn email_taken(conn: &Connection, email: &str, except: Option<i64>) -> Result<bool> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM roles WHERE kind = 'user' AND email_key = ?1")?
        .query_row([email_key(email)], |r| r.get(0))
        .optional()?;
    Ok(found.is_some_and(|id| Some(id) != except))
}

pub(super) fn create(conn: &Connection, new: NewRole, now: Timestamp) -> Result<Role> {
    if by_foreign_id(conn, &new.foreign_id).is_ok() {
        return Err(StoreError::conflict("role", &new.foreign_id));
    }
    if new.kind() == RoleKind::User
        && let Some(email) = &new.email
        && email_taken(conn, email, None)?
    {
        return Err(StoreError::conflict("user email", email));
    }
    conn.prepare_cached(
        "INSERT INTO roles (kind, foreign_id, name, email, email_key, password_hash, is_admin,
             locale, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        new.kind().as_str(),
        new.foreign_id,
        new.name,
        new.email,
        new.email.as_deref().map(email_key),
        new.password.as_ref().map(PasswordHash::as_str),
        new.is_admin,
        new.locale,
        to_micros(now),
    ])?;
    get(conn, conn.last_insert_rowid())
}

pub(super) fn list(conn: &Connection, q: &RoleQuery) -> Result<Page<Role>> {
    let mut filter = String::from(" WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(kind) = q.kind {
        args.push(Value::Text(kind.as_str().into()));
        filter.push_str(&format!(" AND kind = ?{}", args.len()));
    }
    if let Some(email) = &q.email {
        args.push(Value::Text(email_key(email)));
        filter.push_str(&format!(" AND email_key = ?{}", args.len()));
    }
    if let Some(ids) = &q.ids {
        args.push(Value::Text(ids_json(ids)));
        filter.push_str(&format!(
            " AND id IN (SELECT value FROM json_each(?{}))",
            args.len()
        ));
    }
    if let Some(prefix) = q.folded_prefix() {
        let mut stmt = conn.prepare(&format!("SELECT id, name FROM roles{filter} ORDER BY id"))?;
        let candidates = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<Vec<(i64, String)>>>()?;
        let (ids, total) = prefix_page(candidates, &prefix, q.limit, q.offset);
        let sql = format!(
            "SELECT {COLUMNS} FROM roles WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id"
        );
        return Ok(Page {
            items: query_roles(conn, &sql, &[Value::Text(ids_json(&ids))])?,
            total,
        });
    }
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM roles{filter}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    args.push(Value::Integer(i64::from(q.limit)));
    args.push(Value::Integer(i64::try_from(q.offset).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {COLUMNS} FROM roles{filter} ORDER BY id LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    Ok(Page {
        items: query_roles(conn, &sql, &args)?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

fn not_system(role: &Role) -> Result<()> {
    if role.kind == RoleKind::System {
        return Err(StoreError::invalid("system roles cannot be changed"));
    }
    Ok(())
}

pub(super) fn update(
    conn: &Connection,
    id: i64,
    update: RoleUpdate,
    now: Timestamp,
) -> Result<Role> {
    let old = get(conn, id)?;
    not_system(&old)?;
    let new = update.apply(old.clone())?;
    if let Some(email) = &new.email
        && new.email != old.email
        && email_taken(conn, email, Some(id))?
    {
        return Err(StoreError::conflict("user email", email));
    }
    conn.prepare_cached(
        "UPDATE roles SET name = ?2, email = ?3, email_key = ?4, password_hash = ?5,
             is_admin = ?6, is_muted = ?7, is_tester = ?8, locale = ?9, updated_at = ?10
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        new.name,
        new.email,
        new.email.as_deref().map(email_key),
        new.password.as_ref().map(PasswordHash::as_str),
        new.is_admin,
        new.is_muted,
        new.is_tester,
        new.locale,
        to_micros(now),
    ])?;
    get(conn, id)
}

fn user(conn: &Connection, id: i64) -> Result<Role> {
    let role = get(conn, id)?;
    if role.kind != RoleKind::User {
        return Err(StoreError::invalid(format!("role {id} is not a user")));
    }
    Ok(role)
}

pub(super) fn set_blocked(
    conn: &Connection,
    id: i64,
    blocked: bool,
    now: Timestamp,
) -> Result<Role> {
    user(conn, id)?;
    conn.execute(
        "UPDATE roles SET is_blocked = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, blocked, to_micros(now)],
    )?;
    if blocked {
        conn.execute("DELETE FROM sessions WHERE role_id = ?1", [id])?;
    }
    get(conn, id)
}

pub(super) fn record_login(conn: &Connection, id: i64, now: Timestamp) -> Result<()> {
    let n = conn.execute(
        "UPDATE roles SET last_login_at = ?2 WHERE id = ?1",
        params![id, to_micros(now)],
    )?;
    if n == 0 {
        return Err(StoreError::not_found("role", id));
    }
    Ok(())
}

pub(super) fn set_api_key(
    conn: &Connection,
    id: i64,
    key: Option<&ApiKey>,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<()> {
    user(conn, id)?;
    conn.execute(
        "UPDATE roles SET api_key_digest = ?2, api_key_expires_at = ?3, updated_at = ?4
         WHERE id = ?1",
        params![
            id,
            key.map(ApiKey::digest),
            expires_at.map(to_micros),
            to_micros(now)
        ],
    )?;
    Ok(())
}

pub(super) fn delete(conn: &Connection, id: i64) -> Result<RoleRemoval> {
    not_system(&get(conn, id)?)?;
    let removal = RoleRemoval {
        memberships: conn.execute(
            "DELETE FROM role_memberships WHERE group_id = ?1 OR member_id = ?1",
            [id],
        )? as u64,
        permissions: conn.execute("DELETE FROM permissions WHERE role_id = ?1", [id])? as u64,
        sessions: conn.execute("DELETE FROM sessions WHERE role_id = ?1", [id])? as u64,
        collections_orphaned: conn.execute(
            "UPDATE collections SET creator_id = NULL WHERE creator_id = ?1",
            [id],
        )? as u64,
    };
    conn.execute("DELETE FROM roles WHERE id = ?1", [id])?;
    Ok(removal)
}

pub(super) fn add_member(
    conn: &Connection,
    group_id: i64,
    member_id: i64,
    now: Timestamp,
) -> Result<()> {
    if role_kind(conn, group_id)? != RoleKind::Group {
        return Err(StoreError::invalid(format!(
            "role {group_id} is not a group"
        )));
    }
    if role_kind(conn, member_id)? != RoleKind::User {
        return Err(StoreError::invalid(format!(
            "role {member_id} is not a user"
        )));
    }
    conn.execute(
        "INSERT INTO role_memberships (group_id, member_id, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![group_id, member_id, to_micros(now)],
    )?;
    Ok(())
}

pub(super) fn remove_member(conn: &Connection, group_id: i64, member_id: i64) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM role_memberships WHERE group_id = ?1 AND member_id = ?2",
        params![group_id, member_id],
    )?;
    Ok(n > 0)
}

pub(super) fn groups_of(conn: &Connection, member_id: i64) -> Result<Vec<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE id IN
         (SELECT group_id FROM role_memberships WHERE member_id = ?1) ORDER BY id"
    );
    query_roles(conn, &sql, &[Value::Integer(member_id)])
}

pub(super) fn members_of(conn: &Connection, group_id: i64) -> Result<Vec<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE id IN
         (SELECT member_id FROM role_memberships WHERE group_id = ?1) ORDER BY id"
    );
    query_roles(conn, &sql, &[Value::Integer(group_id)])
}

pub(super) fn create_session(
    conn: &Connection,
    role_id: i64,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<SessionToken> {
    let role = user(conn, role_id)?;
    if role.is_blocked {
        return Err(StoreError::invalid(format!("user {role_id} is blocked")));
    }
    let token = SessionToken::generate(role_id)?;
    conn.execute(
        "INSERT INTO sessions (digest, role_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            sha256_hex(token.as_str()),
            role_id,
            to_micros(now),
            to_micros(expires_at)
        ],
    )?;
    Ok(token)
}

pub(super) fn resolve_session(
    conn: &Connection,
    token: &str,
    now: Timestamp,
) -> Result<Option<Role>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM roles WHERE is_blocked = 0 AND id =
         (SELECT role_id FROM sessions WHERE digest = ?1 AND expires_at > ?2)"
    );
    let args = [
        Value::Text(sha256_hex(token)),
        Value::Integer(to_micros(now)),
    ];
    Ok(query_roles(conn, &sql, &args)?.into_iter().next())
}

pub(super) fn delete_session(conn: &Connection, token: &str) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM sessions WHERE digest = ?1",
        [sha256_hex(token)],
    )?;
    Ok(n > 0)
}

pub(super) fn delete_expired_sessions(conn: &Connection, now: Timestamp) -> Result<u64> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1",
        [to_micros(now)],
    )? as u64)
}
