//! Shared helpers of the broadcaster's integration tests: a devnet, key files, the real binary.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use streamflow_bindings::contracts::TicketBroker;
use streamflow_bindings::devnet::Devnet;

/// The `streamflow-node` binary built for the tests.
pub fn node_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_streamflow-node"))
}

/// Writes `key` to a mode-600 key file in `dir`.
pub fn key_file(dir: &Path, name: &str, key: &PrivateKeySigner) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("0x{}\n", alloy::hex::encode(key.to_bytes()))).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// A devnet and a provider on it.
pub struct Chain {
    pub net: Devnet,
    pub provider: DynProvider,
}

impl Chain {
    pub fn start(round_length: u64) -> Self {
        let net = Devnet::start(round_length).expect("anvil with the protocol deployed");
        let provider = ProviderBuilder::new()
            .connect_http(net.anvil.endpoint_url())
            .erased();
        Self { net, provider }
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        self.net.anvil.keys()[i].clone().into()
    }

    pub fn rpc(&self) -> String {
        self.net.anvil.endpoint()
    }

    pub fn deployment_file(&self) -> &Path {
        self.net.file.path()
    }

    pub async fn mine(&self, blocks: u64) {
        let _: serde_json::Value = self
            .provider
            .raw_request("anvil_mine".into(), (format!("0x{blocks:x}"),))
            .await
            .expect("anvil_mine");
    }

    pub async fn sender(&self, who: Address) -> (U256, U256, U256) {
        let b = TicketBroker::new(self.net.deployment.ticket_broker, &self.provider);
        let s = b.getSender(who).call().await.expect("getSender");
        (s.deposit, s.reserve, s.withdrawRound)
    }

    pub async fn balance(&self, who: Address) -> U256 {
        self.provider.get_balance(who).await.expect("balance")
    }

    /// Runs `streamflow-node broadcaster <args>` against this chain with `key` (if any).
    pub fn broadcaster(&self, key: Option<&Path>, args: &[&str]) -> Output {
        // No config file (the default path doesn't exist in the temp dir): everything from flags.
        let mut c = Command::new(node_bin());
        c.arg("broadcaster")
            .arg("--rpc-url")
            .arg(self.rpc())
            .arg("--deployment")
            .arg(self.deployment_file())
            .env_remove("STREAMFLOW_BROADCASTER_CONFIG")
            .env_remove("STREAMFLOW_BROADCASTER_KEY_FILE")
            .current_dir(std::env::temp_dir());
        if let Some(k) = key {
            c.arg("--key-file").arg(k);
        }
        c.args(args).output().expect("run streamflow-node")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn b256(s: &str) -> B256 {
    s.parse().expect("b256")
}
