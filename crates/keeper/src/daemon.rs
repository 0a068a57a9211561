//! The standalone keeper: configuration, key loading, and the tasks it runs (redemption loop and
//! HTTP API) until its shutdown future resolves.

use crate::chain::{ChainReader, Contracts};
use crate::keeper::{Keeper, KeeperConfig};
use crate::redeem::{Policy, Redeemer};
use alloy::network::EthereumWallet;
use alloy::primitives::{B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use streamflow_bindings::Deployment;

/// Why the keeper could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// A configuration problem.
    #[error("config: {0}")]
    Config(String),
    /// The key file.
    #[error("key file {path}: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the key).
        reason: String,
    },
    /// The deployment file.
    #[error(transparent)]
    Deployment(#[from] streamflow_bindings::DeploymentError),
    /// The store.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The chain.
    #[error("chain: {0}")]
    Chain(String),
    /// The HTTP listener.
    #[error("http: {0}")]
    Http(#[from] std::io::Error),
}

/// The keeper's settings, as read from the TOML file (every field has a default but `rpc_url`,
/// `deployment` and `key_file`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Ethereum node's JSON-RPC URL.
    pub rpc_url: String,
    /// The deployment file written by the deploy script.
    pub deployment: PathBuf,
    /// A file holding the orchestrator's private key (hex), readable only by its owner.
    pub key_file: PathBuf,
    /// The SQLite database.
    #[serde(default = "default_db")]
    pub db: PathBuf,
    /// Where the HTTP API and `/metrics` listen (keep it on loopback).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Wei wanted per ticket on average (price per segment).
    #[serde(default = "default_ev")]
    pub expected_value_wei: String,
    /// Face value = redemption cost × this.
    #[serde(default = "default_multiplier")]
    pub face_value_multiplier: u64,
    /// Redeem when gas is at most this many basis points of the face value (100 = 1 %).
    #[serde(default = "default_bps")]
    pub max_cost_bps: u64,
    /// Gas price ceiling, gwei.
    #[serde(default = "default_ceiling")]
    pub max_fee_gwei: u64,
    /// Priority fee offered, gwei.
    #[serde(default = "default_tip")]
    pub priority_fee_gwei: u64,
    /// Blocks before expiry by which a ticket is sent whatever the gas.
    #[serde(default = "default_margin")]
    pub safety_margin_blocks: u64,
    /// Blocks a receipt waits before its outcome is final.
    #[serde(default = "default_confirmations")]
    pub confirmations: u64,
    /// Seconds before a pending transaction is replaced.
    #[serde(default = "default_replace")]
    pub replace_after_secs: u64,
    /// Milliseconds between polls for a new block.
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
}

fn default_db() -> PathBuf {
    PathBuf::from("keeper.db")
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 7935))
}
fn default_ev() -> String {
    "1000000000000".into()
}
fn default_multiplier() -> u64 {
    100
}
fn default_bps() -> u64 {
    100
}
fn default_ceiling() -> u64 {
    500
}
fn default_tip() -> u64 {
    1
}
fn default_margin() -> u64 {
    10
}
fn default_confirmations() -> u64 {
    2
}
fn default_replace() -> u64 {
    30
}
fn default_poll() -> u64 {
    1000
}

impl Config {
    /// Reads a TOML file.
    pub fn load(path: &Path) -> Result<Self, DaemonError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DaemonError::Config(format!("{}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| DaemonError::Config(format!("{}: {e}", path.display())))
    }

    /// The redemption policy it describes.
    pub fn policy(&self) -> Policy {
        Policy {
            max_cost_bps: self.max_cost_bps,
            safety_margin_blocks: self.safety_margin_blocks,
            max_fee_per_gas: u128::from(self.max_fee_gwei) * 1_000_000_000,
            priority_fee_per_gas: u128::from(self.priority_fee_gwei) * 1_000_000_000,
            confirmations: self.confirmations,
            replace_after_secs: self.replace_after_secs,
            ..Policy::default()
        }
    }
}

/// Reads a private key from a file: hex, with or without `0x`, surrounding whitespace ignored.
/// Refuses a file that others can read (Unix).
pub fn load_key(path: &Path) -> Result<PrivateKeySigner, DaemonError> {
    let err = |reason: String| DaemonError::Key {
        path: path.to_path_buf(),
        reason,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| err(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "readable by others (mode {:o}); chmod 600 it",
                mode & 0o777
            )));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let hex = text.trim().trim_start_matches("0x");
    let bytes: B256 = hex
        .parse()
        .map_err(|_| err("not a 32-byte hex private key".into()))?;
    PrivateKeySigner::from_bytes(&bytes).map_err(|_| err("not a valid secp256k1 key".into()))
}

/// Opens the keeper described by `config` (store, key, chain id check), without starting tasks.
pub async fn open(config: &Config) -> Result<(Keeper, Redeemer), DaemonError> {
    let signer = load_key(&config.key_file)?;
    let d = Deployment::load(&config.deployment)?;
    let url = config
        .rpc_url
        .parse()
        .map_err(|e| DaemonError::Config(format!("rpc_url: {e}")))?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    let expected_value: U256 = config
        .expected_value_wei
        .parse()
        .map_err(|_| DaemonError::Config("expected_value_wei is not a number".into()))?;
    let keeper = Keeper::open(
        &config.db,
        KeeperConfig {
            chain_id: d.chain_id,
            broker: d.ticket_broker,
            recipient: signer.address(),
            expected_value,
            face_value_multiplier: config.face_value_multiplier,
            redeem_gas: config.policy().single_gas,
        },
    )?;
    // A node on another chain would make every ticket check wrong: refuse to start.
    if let Ok(id) = provider.get_chain_id().await
        && id != d.chain_id
    {
        return Err(DaemonError::Chain(format!(
            "the node is on chain {id}, the deployment on {}",
            d.chain_id
        )));
    }
    let reader = ChainReader::new(
        provider,
        Contracts {
            ticket_broker: d.ticket_broker,
            rounds_manager: d.rounds_manager,
            bonding_manager: d.bonding_manager,
        },
        signer.address(),
    );
    let redeemer = Redeemer::new(
        keeper.clone(),
        reader,
        EthereumWallet::from(signer),
        config.policy(),
    );
    Ok((keeper, redeemer))
}

/// Runs the keeper (redemption loop and HTTP API) until `shutdown` resolves. The HTTP listener is
/// bound before this returns control to the loop, and its address logged.
pub async fn run(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    let (keeper, redeemer) = open(&config).await?;
    // Sync once before serving, so the first tickets are checked against the chain (retried by the
    // loop if the node is down now).
    if let Err(e) = redeemer.refresh().await {
        tracing::warn!(target: "keeper", error = %e, "initial chain read failed; serving once synced");
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    tracing::info!(target: "keeper", listen = %listener.local_addr()?, recipient = %keeper.config().recipient, "keeper running");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let http_stop = {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let loop_stop = {
        let mut rx = stop_rx;
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let poll = Duration::from_millis(config.poll_ms);
    let http = tokio::spawn(crate::http::serve(keeper, listener, http_stop));
    let redeem = tokio::spawn(redeemer.run(poll, loop_stop));
    shutdown.await;
    tracing::info!(target: "keeper", "shutting down");
    let _ = stop_tx.send(true);
    let _ = redeem.await;
    match http.await {
        Ok(r) => r?,
        Err(e) => return Err(DaemonError::Config(format!("http task: {e}"))),
    }
    Ok(())
}
