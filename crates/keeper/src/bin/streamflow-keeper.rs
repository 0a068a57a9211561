//! `streamflow-keeper`: the orchestrator's ticket-redemption keeper as a standalone daemon.

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use streamflow_keeper::daemon::{self, Config};
use streamflow_keeper::store::Store;

/// The orchestrator's ticket-redemption keeper.
///
/// Example: `streamflow-keeper --config keeper.toml run`
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// The TOML config file (see docs/keeper.md).
    #[arg(long, short, env = "KEEPER_CONFIG", default_value = "keeper.toml")]
    config: PathBuf,
    #[command(flatten)]
    overrides: Overrides,
    /// Logs as JSON lines.
    #[arg(long, env = "KEEPER_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

/// Settings that override the config file (flags or environment).
#[derive(Debug, Args)]
#[command(next_help_heading = "Overrides")]
struct Overrides {
    /// Ethereum JSON-RPC URL.
    #[arg(long, env = "KEEPER_RPC_URL")]
    rpc_url: Option<String>,
    /// SQLite database path.
    #[arg(long, env = "KEEPER_DB")]
    db: Option<PathBuf>,
    /// HTTP API and metrics address, e.g. 127.0.0.1:7935.
    #[arg(long, env = "KEEPER_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// Path of the file holding the orchestrator's key (a path, never the key itself).
    #[arg(long, env = "KEEPER_KEY_FILE")]
    key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the keeper until SIGTERM or Ctrl-C.
    Run,
    /// Prints the queue and each sender's pending value as a table (reads the database only).
    Status,
}

fn load(cli: &Cli) -> anyhow::Result<Config> {
    let mut c = Config::load(&cli.config)?;
    let o = &cli.overrides;
    if let Some(v) = &o.rpc_url {
        c.rpc_url = v.clone();
    }
    if let Some(v) = &o.db {
        c.db = v.clone();
    }
    if let Some(v) = o.listen {
        c.listen = v;
    }
    if let Some(v) = &o.key_file {
        c.key_file = v.clone();
    }
    Ok(c)
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn status(config: &Config) -> anyhow::Result<()> {
    let store = Store::open(&config.db).context("opening the keeper database")?;
    let s = store.summary()?;
    println!(
        "{:<10} {:>8} {:>28}",
        "STATE", "TICKETS", "FACE VALUE (wei)"
    );
    for (state, n, v) in &s.by_state {
        println!("{:<10} {:>8} {:>28}", state.as_str(), n, v);
    }
    println!(
        "\n{:<44} {:>8} {:>28}",
        "SENDER", "PENDING", "PENDING VALUE (wei)"
    );
    for (a, n, v) in &s.pending_by_sender {
        println!("{:<44} {:>8} {:>28}", a.to_string(), n, v);
    }
    println!("\ngas spent on redemptions: {} wei", s.gas_cost);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if cli.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let config = load(&cli)?;
    match cli.command {
        Command::Run => daemon::run(config, terminated()).await?,
        Command::Status => status(&config)?,
    }
    Ok(())
}
