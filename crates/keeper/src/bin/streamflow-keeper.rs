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
    /// Path of an encrypted keystore holding the orchestrator's key (used instead of a key file).
    #[arg(long, env = "KEEPER_KEYSTORE")]
    keystore: Option<PathBuf>,
    /// Path of a file holding the keystore's password (else `KEEPER_KEYSTORE_PASSWORD` is read).
    #[arg(long, env = "KEEPER_KEYSTORE_PASSWORD_FILE")]
    keystore_password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the keeper until SIGTERM or Ctrl-C.
    Run,
    /// Prints the queue and each sender's pending value as a table (reads the database only).
    Status,
    /// Creates or imports the orchestrator's key as an encrypted keystore file.
    #[command(subcommand)]
    Key(KeyCommand),
}

/// Keystore management. The password is read from `--password-file` or, without it, from the
/// `KEEPER_KEYSTORE_PASSWORD` environment variable — never from a flag value.
#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Generates a new key and writes it to a new keystore file; prints its address.
    ///
    /// Example: `KEEPER_KEYSTORE_PASSWORD=... streamflow-keeper key new --keystore orch.json`
    New(KeyArgs),
    /// Encrypts an existing raw key file (hex) into a new keystore file; prints its address.
    ///
    /// Example: `streamflow-keeper key import --from orch.key --keystore orch.json --password-file pw`
    Import {
        /// The raw key file to import (hex, mode 600).
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        args: KeyArgs,
    },
}

#[derive(Debug, Args)]
struct KeyArgs {
    /// The keystore file to create (never overwritten).
    #[arg(long)]
    keystore: PathBuf,
    /// A file holding the password (its first line; mode 600).
    #[arg(long)]
    password_file: Option<PathBuf>,
}

fn key_command(cmd: &KeyCommand) -> anyhow::Result<()> {
    let (signer, args) = match cmd {
        KeyCommand::New(args) => (alloy::signers::local::PrivateKeySigner::random(), args),
        KeyCommand::Import { from, args } => (daemon::load_key(from)?, args),
    };
    let password = daemon::keystore_password(args.password_file.as_deref())?;
    daemon::write_keystore(&args.keystore, &signer, &password)?;
    // Checked by reading it back before anything tells the operator it is there.
    let back = daemon::load_keystore(&args.keystore, &password)?;
    anyhow::ensure!(
        back.address() == signer.address(),
        "the keystore written does not decrypt to the key"
    );
    println!("{}", signer.address());
    Ok(())
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
    if let Some(v) = &o.keystore {
        c.keystore = Some(v.clone());
    }
    if let Some(v) = &o.keystore_password_file {
        c.keystore_password_file = Some(v.clone());
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
    let open = store.open_txs()?;
    println!(
        "\n{:<68} {:>8} {:>8} {:>16} {:>10}",
        "OPEN TRANSACTION", "NONCE", "TICKETS", "MAX FEE (gwei)", "AGE (s)"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for t in &open {
        println!(
            "{:<68} {:>8} {:>8} {:>16.3} {:>10}",
            t.tx_hash.to_string(),
            t.nonce,
            t.tickets.len(),
            t.max_fee_per_gas as f64 / 1e9,
            now.saturating_sub(t.created_at)
        );
    }
    if open.is_empty() {
        println!("(none)");
    }
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
    match &cli.command {
        Command::Run => daemon::run(load(&cli)?, terminated()).await?,
        Command::Status => status(&load(&cli)?)?,
        Command::Key(k) => key_command(k)?,
    }
    Ok(())
}
