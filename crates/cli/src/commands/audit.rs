//! `aleph audit`: read the audit log from the database, for administrators with shell
//! access (the API has `GET /api/2/audit`).

use std::collections::HashMap;
use std::process::ExitCode;

use clap::Args;
use store::{AuditAction, AuditQuery, Store};

use crate::commands::serve::DataArgs;

#[derive(Args)]
pub struct AuditArgs {
    /// Only this user: an email address or a role id.
    #[arg(long)]
    pub user: Option<String>,
    /// At or after this time (RFC 3339, or a date meaning its midnight UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Before this time.
    #[arg(long)]
    pub until: Option<String>,
    /// Only this action: login, logout, search, view, download, export, permission,
    /// create_collection, delete_collection.
    #[arg(long)]
    pub action: Option<String>,
    /// Only entries about this collection (id or foreign id).
    #[arg(long)]
    pub collection: Option<String>,
    /// Most entries printed (newest first).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

fn time(raw: &Option<String>, flag: &str) -> anyhow::Result<Option<store::Timestamp>> {
    raw.as_deref()
        .map(|r| {
            server::audit::parse_time(r)
                .ok_or_else(|| anyhow::anyhow!("--{flag}: not a date or RFC 3339 time: {r:?}"))
        })
        .transpose()
}

pub async fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let settings = server::Settings::from_env(Some(args.data.data_dir.clone()))?;
    let store = store::open(&settings.database_uri).await?;
    let role_id = match &args.user {
        None => None,
        Some(u) => Some(match u.parse::<i64>() {
            Ok(id) => id,
            Err(_) => store.role_by_email(u).await?.id,
        }),
    };
    let collection_id = match &args.collection {
        None => None,
        Some(c) => Some(match c.parse::<i64>() {
            Ok(id) => id,
            // A deleted collection's entries stay: look it up among deleted ones too.
            Err(_) => {
                let mut q = store::CollectionQuery::new(store::CollectionScope::All);
                q.foreign_id = Some(c.clone());
                q.include_deleted = true;
                q.limit = 1;
                store
                    .list_collections(&q)
                    .await?
                    .items
                    .first()
                    .map(|c| c.id)
                    .ok_or_else(|| anyhow::anyhow!("no collection {c:?}"))?
            }
        }),
    };
    let query = AuditQuery {
        role_id,
        action: args
            .action
            .as_deref()
            .map(str::parse::<AuditAction>)
            .transpose()?,
        collection_id,
        since: time(&args.since, "since")?,
        until: time(&args.until, "until")?,
        limit: args.limit,
        offset: 0,
    };
    let page = store.audit_log(&query).await?;
    let mut names: HashMap<i64, String> = HashMap::new();
    for entry in &page.items {
        if let Some(id) = entry.role_id
            && !names.contains_key(&id)
        {
            names.insert(id, user_name(&*store, id).await);
        }
    }
    for e in &page.items {
        let user = e
            .role_id
            .map_or_else(|| "anonymous".to_string(), |id| names[&id].clone());
        let at = e.at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        if args.json {
            let line = serde_json::json!({
                "id": e.id,
                "created_at": at,
                "role_id": e.role_id,
                "user": user,
                "action": e.action.as_str(),
                "collection_id": e.collection_id,
                "target": e.target,
                "detail": e.detail,
                "address": e.address,
            });
            println!("{line}");
        } else {
            println!(
                "{at}  {user:<28} {:<17} {:<6} {:<40} {:<15} {}",
                e.action.as_str(),
                e.collection_id.map(|c| c.to_string()).unwrap_or_default(),
                e.target.as_deref().unwrap_or(""),
                e.address.as_deref().unwrap_or(""),
                e.detail
            );
        }
    }
    if !args.json {
        eprintln!("{} of {} entries", page.items.len(), page.total);
    }
    Ok(ExitCode::SUCCESS)
}

/// A user's email (or name), or their id when they have been deleted since.
async fn user_name(store: &dyn Store, id: i64) -> String {
    match store.role(id).await {
        Ok(role) => role.email.unwrap_or(role.name),
        Err(_) => format!("#{id} (deleted)"),
    }
}
