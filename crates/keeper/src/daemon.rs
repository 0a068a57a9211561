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
/// `deployment`, and the key: `key_file` or `keystore`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Ethereum node's JSON-RPC URL.
    pub rpc_url: String,
    /// The deployment file written by the deploy script.
    pub deployment: PathBuf,
    /// A file holding the orchestrator's private key (hex), readable only by its owner. Leave it
    /// empty (or out) when `keystore` is set.
    #[serde(default)]
    pub key_file: PathBuf,
    /// An encrypted keystore file (Web3 Secret Storage JSON, as geth and `cast wallet` write)
    /// holding the orchestrator's key, used instead of `key_file`. Its password comes from
    /// `keystore_password_file` or the `KEEPER_KEYSTORE_PASSWORD` environment variable.
    #[serde(default)]
    pub keystore: Option<PathBuf>,
    /// A file holding the keystore's password (its first line), readable only by its owner.
    #[serde(default)]
    pub keystore_password_file: Option<PathBuf>,
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
    /// Blocks between two full reads of every served sender's funds; in between, only senders
    /// named by the broker's events are read.
    #[serde(default = "default_full_read")]
    pub full_read_every_blocks: u64,
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
fn default_full_read() -> u64 {
    crate::redeem::FULL_READ_EVERY_BLOCKS
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

    /// The orchestrator's key: decrypted from `keystore` when set (password from
    /// `keystore_password_file`, else [`PASSWORD_ENV`]), else read from `key_file`. Setting both,
    /// or neither, is refused.
    pub fn signer(&self) -> Result<PrivateKeySigner, DaemonError> {
        let has_file = !self.key_file.as_os_str().is_empty();
        match (&self.keystore, has_file) {
            (Some(_), true) => Err(DaemonError::Config(
                "set either key_file or keystore, not both".into(),
            )),
            (None, false) => Err(DaemonError::Config(
                "no key: set key_file or keystore".into(),
            )),
            (None, true) => load_key(&self.key_file),
            (Some(ks), false) => {
                let password = keystore_password(self.keystore_password_file.as_deref())?;
                load_keystore(ks, &password)
            }
        }
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
    check_private(path).map_err(err)?;
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let hex = text.trim().trim_start_matches("0x");
    let bytes: B256 = hex
        .parse()
        .map_err(|_| err("not a 32-byte hex private key".into()))?;
    PrivateKeySigner::from_bytes(&bytes).map_err(|_| err("not a valid secp256k1 key".into()))
}

/// The environment variable a keystore password is read from when no password file is given.
pub const PASSWORD_ENV: &str = "KEEPER_KEYSTORE_PASSWORD";

/// A keystore password: the first line of `file` (a trailing newline is not part of it; the file
/// must not be readable by others), or else the [`PASSWORD_ENV`] environment variable. An empty
/// password is refused.
pub fn keystore_password(file: Option<&Path>) -> Result<Vec<u8>, DaemonError> {
    let password = match file {
        Some(path) => {
            let err = |reason: String| DaemonError::Key {
                path: path.to_path_buf(),
                reason,
            };
            check_private(path).map_err(err)?;
            let text = std::fs::read(path).map_err(|e| err(e.to_string()))?;
            let line = text.split(|b| *b == b'\n').next().unwrap_or_default();
            line.strip_suffix(b"\r").unwrap_or(line).to_vec()
        }
        None => std::env::var_os(PASSWORD_ENV)
            .map(|v| v.into_encoded_bytes())
            .ok_or_else(|| {
                DaemonError::Config(format!(
                    "no keystore password: set keystore_password_file or {PASSWORD_ENV}"
                ))
            })?,
    };
    if password.is_empty() {
        return Err(DaemonError::Config("the keystore password is empty".into()));
    }
    Ok(password)
}

/// Refuses a secret file that others can read (Unix).
fn check_private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| e.to_string())?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "readable by others (mode {:o}); chmod 600 it",
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Decrypts the orchestrator's key from an encrypted keystore file (Web3 Secret Storage JSON,
/// scrypt or pbkdf2). A wrong password is reported as such; the key is never printed.
pub fn load_keystore(path: &Path, password: &[u8]) -> Result<PrivateKeySigner, DaemonError> {
    let err = |reason: String| DaemonError::Key {
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(err("no such keystore file".into()));
    }
    check_private(path).map_err(err)?;
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
        let text = e.to_string();
        if text.contains("Mac Mismatch") || text.contains("MacMismatch") {
            err("wrong password (the keystore's MAC does not match)".into())
        } else {
            err(format!("not a readable keystore: {text}"))
        }
    })
}

/// Writes `signer`'s key to a new encrypted keystore file at `path` (mode 600; an existing file is
/// never overwritten), encrypted with `password` (scrypt, AES-128-CTR).
pub fn write_keystore(
    path: &Path,
    signer: &PrivateKeySigner,
    password: &[u8],
) -> Result<(), DaemonError> {
    let err = |reason: String| DaemonError::Key {
        path: path.to_path_buf(),
        reason,
    };
    if path.exists() {
        return Err(err("already exists; not overwritten".into()));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| err("not a file name".into()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let key = signer.to_bytes();
    PrivateKeySigner::encrypt_keystore(
        &dir,
        &mut rand08::thread_rng(),
        key.as_slice(),
        password,
        Some(name),
    )
    .map_err(|e| err(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| err(e.to_string()))?;
    }
    Ok(())
}

/// Opens the keeper described by `config` (store, key, chain id check), without starting tasks.
pub async fn open(config: &Config) -> Result<(Keeper, Redeemer), DaemonError> {
    let signer = config.signer()?;
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
    )
    .with_full_read_every(config.full_read_every_blocks);
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
