//! `aleph`: one binary for the server, the workers, administration and data tools.

mod commands;
mod io;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "aleph",
    version,
    about = "Documents and structured data into searchable, cross-referenced FollowTheMoney entities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// FollowTheMoney data tools (validate, aggregate, dump-model), like the `ftm` command.
    #[command(subcommand)]
    Ftm(commands::ftm::FtmCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ftm(cmd) => commands::ftm::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
