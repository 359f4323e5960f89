//! `aleph serve` and `aleph upgrade`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ALEPH_BIND")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Where the data lives; every command that touches the store takes these.
#[derive(Args, Clone)]
pub struct DataArgs {
    /// The data directory (SQLite file, index, archive) of the embedded mode.
    #[arg(long, env = "ALEPH_DATA", default_value = "aleph-data")]
    pub data_dir: PathBuf,
}

impl DataArgs {
    pub async fn open(&self) -> anyhow::Result<server::AppState> {
        let settings = server::Settings::from_env(Some(self.data_dir.clone()))?;
        server::open(settings).await
    }
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let state = args.data.open().await?;
    if let Some(admin) = server::bootstrap_admin(&state.store).await? {
        // Printed once: the account is new and nothing else knows its password.
        println!("Created the first account, an administrator:");
        println!("  email:    {}", admin.email);
        println!("  password: {}", admin.password);
        println!("  API key:  {}", admin.api_key);
    }
    println!("Aleph is listening on http://{}/", args.bind);
    server::serve(state, args.bind).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn upgrade(args: DataArgs) -> anyhow::Result<ExitCode> {
    let settings = server::Settings::from_env(Some(args.data_dir.clone()))?;
    let store = store::open(&settings.database_uri).await?;
    let done = store.migrate().await?;
    println!("database schema: {done:?}");
    Ok(ExitCode::SUCCESS)
}
