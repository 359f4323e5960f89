//! Administration without SQL: users, groups and collections.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use store::{
    Access, CollectionQuery, CollectionScope, DeleteMode, NewRole, PasswordHash, RoleKind,
    RoleQuery, RoleUpdate, Store,
};

use super::serve::DataArgs;

#[derive(Args)]
pub struct CreateUserArgs {
    /// The user's email address (their login).
    pub email: String,
    /// Display name (defaults to the email).
    #[arg(long)]
    pub name: Option<String>,
    /// Make the user an administrator.
    #[arg(long)]
    pub admin: bool,
    /// A password for logging in to the web interface.
    #[arg(long)]
    pub password: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Create a user and print their API key.
pub async fn create_user(args: CreateUserArgs) -> anyhow::Result<ExitCode> {
    let state = args.data.open_read_only().await?;
    let name = args.name.clone().unwrap_or_else(|| args.email.clone());
    let mut new = NewRole::user(
        format!("password:{}", args.email.to_lowercase()),
        name,
        &args.email,
    );
    new.is_admin = args.admin;
    if let Some(password) = &args.password {
        new.password = Some(PasswordHash::new(password)?);
    }
    let role = state.store.create_role(new).await?;
    let key = state.store.reset_api_key(role.id, None).await?;
    println!(
        "created user {} (id {}){}",
        args.email,
        role.id,
        if args.admin { ", administrator" } else { "" }
    );
    println!("API key: {}", key.as_str());
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// List users.
    List(DataArgs),
    /// Block a user: they can no longer log in and their API key stops working.
    Block(UserArg),
    Unblock(UserArg),
    MakeAdmin(UserArg),
    RemoveAdmin(UserArg),
    /// Issue a new API key (the old one stops working) and print it.
    ResetApiKey(UserArg),
}

#[derive(Args)]
pub struct UserArg {
    /// The user's email.
    pub email: String,
    #[command(flatten)]
    pub data: DataArgs,
}

async fn find_user(store: &dyn Store, email: &str) -> anyhow::Result<store::Role> {
    let role = store
        .role_by_email(email)
        .await
        .with_context(|| format!("no user with email {email}"))?;
    anyhow::ensure!(role.kind == RoleKind::User, "{email} is not a user");
    Ok(role)
}

pub async fn user(cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::List(data) => {
            let state = data.open_read_only().await?;
            let query = RoleQuery {
                kind: Some(RoleKind::User),
                name_prefix: None,
                email: None,
                ids: None,
                limit: 100_000,
                offset: 0,
            };
            for r in state.store.list_roles(&query).await?.items {
                let mut flags = Vec::new();
                if r.is_admin {
                    flags.push("admin");
                }
                if r.is_blocked {
                    flags.push("blocked");
                }
                println!(
                    "{:>6}  {:<40} {:<30} {}",
                    r.id,
                    r.email.as_deref().unwrap_or("-"),
                    r.name,
                    flags.join(",")
                );
            }
        }
        UserCommand::Block(u) => {
            let state = u.data.open_read_only().await?;
            let role = find_user(state.store.as_ref(), &u.email).await?;
            state.store.set_role_blocked(role.id, true).await?;
            println!("blocked {}", u.email);
        }
        UserCommand::Unblock(u) => {
            let state = u.data.open_read_only().await?;
            let role = find_user(state.store.as_ref(), &u.email).await?;
            state.store.set_role_blocked(role.id, false).await?;
            println!("unblocked {}", u.email);
        }
        UserCommand::MakeAdmin(u) => set_admin(u, true).await?,
        UserCommand::RemoveAdmin(u) => set_admin(u, false).await?,
        UserCommand::ResetApiKey(u) => {
            let state = u.data.open_read_only().await?;
            let role = find_user(state.store.as_ref(), &u.email).await?;
            let key = state.store.reset_api_key(role.id, None).await?;
            println!("API key for {}: {}", u.email, key.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_admin(u: UserArg, admin: bool) -> anyhow::Result<()> {
    let state = u.data.open_read_only().await?;
    let role = find_user(state.store.as_ref(), &u.email).await?;
    let update = RoleUpdate {
        is_admin: Some(admin),
        ..RoleUpdate::default()
    };
    state.store.update_role(role.id, update).await?;
    println!(
        "{} is {} an administrator",
        u.email,
        if admin { "now" } else { "no longer" }
    );
    Ok(())
}

#[derive(Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Create {
        /// A stable identifier for the group.
        foreign_id: String,
        /// Display name (defaults to the identifier).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List groups and their members.
    List(DataArgs),
    /// Delete a group with its memberships and permissions, in one transaction.
    Delete {
        foreign_id: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Add a user (by email) to a group.
    AddMember {
        foreign_id: String,
        email: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Remove a user (by email) from a group.
    RemoveMember {
        foreign_id: String,
        email: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

async fn find_group(store: &dyn Store, foreign_id: &str) -> anyhow::Result<store::Role> {
    let role = store
        .role_by_foreign_id(foreign_id)
        .await
        .with_context(|| format!("no group {foreign_id}"))?;
    anyhow::ensure!(role.kind == RoleKind::Group, "{foreign_id} is not a group");
    Ok(role)
}

pub async fn group(cmd: GroupCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        GroupCommand::Create {
            foreign_id,
            name,
            data,
        } => {
            let state = data.open_read_only().await?;
            let name = name.unwrap_or_else(|| foreign_id.clone());
            let role = state
                .store
                .create_role(NewRole::group(&foreign_id, name))
                .await?;
            println!("created group {foreign_id} (id {})", role.id);
        }
        GroupCommand::List(data) => {
            let state = data.open_read_only().await?;
            let query = RoleQuery {
                kind: Some(RoleKind::Group),
                name_prefix: None,
                email: None,
                ids: None,
                limit: 100_000,
                offset: 0,
            };
            for g in state.store.list_roles(&query).await?.items {
                let members = state.store.members_of(g.id).await?;
                let emails: Vec<&str> = members.iter().filter_map(|m| m.email.as_deref()).collect();
                println!(
                    "{:>6}  {:<30} {:<30} {}",
                    g.id,
                    g.foreign_id,
                    g.name,
                    emails.join(", ")
                );
            }
        }
        GroupCommand::Delete { foreign_id, data } => {
            let state = data.open_read_only().await?;
            let group = find_group(state.store.as_ref(), &foreign_id).await?;
            let removed = state.store.delete_role(group.id).await?;
            println!("deleted group {foreign_id}: {removed:?}");
        }
        GroupCommand::AddMember {
            foreign_id,
            email,
            data,
        } => {
            let state = data.open_read_only().await?;
            let group = find_group(state.store.as_ref(), &foreign_id).await?;
            let user = find_user(state.store.as_ref(), &email).await?;
            state.store.add_member(group.id, user.id).await?;
            println!("{email} is a member of {foreign_id}");
        }
        GroupCommand::RemoveMember {
            foreign_id,
            email,
            data,
        } => {
            let state = data.open_read_only().await?;
            let group = find_group(state.store.as_ref(), &foreign_id).await?;
            let user = find_user(state.store.as_ref(), &email).await?;
            let was = state.store.remove_member(group.id, user.id).await?;
            println!(
                "{email} {} a member of {foreign_id}",
                if was { "is no longer" } else { "was not" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum CollectionCommand {
    /// List collections.
    List(DataArgs),
    /// Delete a collection: it disappears at once and a background purge job removes
    /// everything in it (index, archive files, store rows).
    Delete {
        foreign_id: String,
        /// Keep the collection and its permissions, remove only its entities.
        #[arg(long)]
        keep_metadata: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Give a user (email) or group (foreign id) read or write access.
    Grant {
        foreign_id: String,
        /// A user's email or a group's foreign id; `guest` makes the collection public.
        role: String,
        /// Grant write access (read is implied).
        #[arg(long)]
        write: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Remove a role's access.
    Revoke {
        foreign_id: String,
        role: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

async fn find_role(state: &server::AppState, name: &str) -> anyhow::Result<store::Role> {
    if name == "guest" {
        return Ok(state.store.role(state.system_roles.guest).await?);
    }
    if name == "authenticated" {
        return Ok(state.store.role(state.system_roles.authenticated).await?);
    }
    if name.contains('@') {
        return find_user(state.store.as_ref(), name).await;
    }
    find_group(state.store.as_ref(), name).await
}

pub async fn collection(cmd: CollectionCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CollectionCommand::List(data) => {
            let state = data.open_read_only().await?;
            let mut query = CollectionQuery::new(CollectionScope::All);
            query.limit = 100_000;
            for c in state.store.list_collections(&query).await?.items {
                let count = state.store.count_entities(c.id).await?;
                println!(
                    "{:>6}  {:<30} {:<40} {:>10} entities  {}",
                    c.id,
                    c.foreign_id,
                    c.label,
                    count,
                    c.category.as_str()
                );
            }
        }
        CollectionCommand::Delete {
            foreign_id,
            keep_metadata,
            data,
        } => {
            let state = data.open_read_only().await?;
            let c = state.store.collection_by_foreign_id(&foreign_id).await?;
            if keep_metadata {
                let removed = state
                    .store
                    .delete_collection(c.id, DeleteMode::Contents)
                    .await?;
                state.index.delete_collection(c.id).await?;
                state.index.commit().await?;
                println!(
                    "emptied {foreign_id}: {} entity fragments",
                    removed.fragments
                );
            } else {
                // Hidden at once; the server's worker removes the data in the background.
                let job = state.store.retire_collection(c.id, None).await?;
                println!(
                    "deleted {foreign_id}: purge job {job} queued; the server's worker removes \
                     its index documents, files and rows (progress in GET /api/2/status)"
                );
            }
        }
        CollectionCommand::Grant {
            foreign_id,
            role,
            write,
            data,
        } => {
            let state = data.open_read_only().await?;
            let c = state.store.collection_by_foreign_id(&foreign_id).await?;
            let r = find_role(&state, &role).await?;
            let access = if write { Access::Write } else { Access::Read };
            state.store.set_permission(c.id, r.id, access).await?;
            println!(
                "{role} can now {} {foreign_id}",
                if write { "write" } else { "read" }
            );
        }
        CollectionCommand::Revoke {
            foreign_id,
            role,
            data,
        } => {
            let state = data.open_read_only().await?;
            let c = state.store.collection_by_foreign_id(&foreign_id).await?;
            let r = find_role(&state, &role).await?;
            state.store.set_permission(c.id, r.id, Access::None).await?;
            println!("{role} has no access to {foreign_id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
