//! The deployment file written by `script/Deploy.s.sol`.

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why a deployment file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// The file could not be read.
    #[error("cannot read deployment file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a deployment.
    #[error("deployment file {path} is malformed: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A protocol address is zero.
    #[error("deployment file {path}: `{field}` is the zero address")]
    ZeroAddress {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
    },
}

/// Addresses and parameters of one deployment. Protocol contracts are addressed through their
/// proxies; implementations are listed for verification only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The chain it was deployed to.
    pub chain_id: u64,
    /// The first block that can hold the deployment's transactions (the block after the one the
    /// script simulated against): where an indexer starts scanning for the protocol's events.
    pub deploy_block: u64,
    /// The JSON-RPC endpoint the deployment was made through, when the deployer recorded it
    /// (`STREAMFLOW_RPC_URL`; `make demo` does). Tools use it unless told another URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_url: Option<String>,
    /// Blocks per round at deployment.
    pub round_length: u64,
    /// The Controller's owner.
    pub governance: Address,
    /// The Controller (not proxied).
    pub controller: Address,
    /// LPT (proxy).
    pub livepeer_token: Address,
    /// LPT implementation.
    pub livepeer_token_implementation: Address,
    /// RoundsManager (proxy).
    pub rounds_manager: Address,
    /// RoundsManager implementation.
    pub rounds_manager_implementation: Address,
    /// BondingManager (proxy): staking, delegation, earnings, slashing.
    pub bonding_manager: Address,
    /// Minter (proxy): per-round inflation.
    pub minter: Address,
    /// ServiceRegistry (proxy): service URIs, regions and offered services.
    pub service_registry: Address,
    /// TicketBroker (proxy): deposits, reserves and winning-ticket redemption.
    pub ticket_broker: Address,
    /// FaultVerifier (proxy): challenges against signed segment receipts.
    pub fault_verifier: Address,
    /// EquivocationVerifier: on-chain proof of two conflicting receipts.
    pub equivocation_verifier: Address,
    /// CommitteeVerifier (proxy): M-of-N verdicts from a governance committee.
    pub committee_verifier: Address,
}

impl Deployment {
    /// Reads and checks a deployment file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DeploymentError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| DeploymentError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks deployment JSON; `origin` names it in errors.
    pub fn parse(json: &str, origin: &Path) -> Result<Self, DeploymentError> {
        let d: Self = serde_json::from_str(json).map_err(|source| DeploymentError::Parse {
            path: origin.to_path_buf(),
            source,
        })?;
        for (field, addr) in [
            ("controller", d.controller),
            ("livepeerToken", d.livepeer_token),
            ("roundsManager", d.rounds_manager),
            ("bondingManager", d.bonding_manager),
            ("minter", d.minter),
            ("serviceRegistry", d.service_registry),
            ("ticketBroker", d.ticket_broker),
            ("faultVerifier", d.fault_verifier),
            ("equivocationVerifier", d.equivocation_verifier),
            ("committeeVerifier", d.committee_verifier),
        ] {
            if addr.is_zero() {
                return Err(DeploymentError::ZeroAddress {
                    path: origin.to_path_buf(),
                    field,
                });
            }
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "chainId": 31337, "deployBlock": 0, "roundLength": 50,
      "governance": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      "controller": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      "livepeerToken": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
      "livepeerTokenImplementation": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
      "roundsManager": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
      "roundsManagerImplementation": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
      "bondingManager": "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
      "minter": "0x610178dA211FEF7D417bC0e6FeD39F05609AD788",
      "serviceRegistry": "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
      "ticketBroker": "0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE",
      "faultVerifier": "0x59b670e9fA9D0A427751Af201D676719a970857b",
      "equivocationVerifier": "0x322813Fd9A801c5507c9de605d63CEA4f2CE6c44",
      "committeeVerifier": "0x4A679253410272dd5232B3Ff7cF5dbB88f295319"
    }"#;

    #[test]
    fn parses_the_script_output() {
        let d = Deployment::parse(SAMPLE, Path::new("sample")).expect("valid");
        assert_eq!(d.chain_id, 31337);
        assert_eq!(d.round_length, 50);
        assert_eq!(
            d.rpc_url, None,
            "an older file without `rpcUrl` still loads"
        );
        assert_eq!(
            d.controller.to_string(),
            "0x5FbDB2315678afecb367f032d93F642f64180aa3"
        );
    }

    #[test]
    fn reads_the_recorded_rpc_url() {
        let json = SAMPLE.replace(
            "\"roundLength\": 50,",
            "\"roundLength\": 50, \"rpcUrl\": \"http://127.0.0.1:18545\",",
        );
        let d = Deployment::parse(&json, Path::new("sample")).expect("valid");
        assert_eq!(d.rpc_url.as_deref(), Some("http://127.0.0.1:18545"));
    }

    #[test]
    fn the_documented_example_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deployments/example.json");
        let d = Deployment::load(&path).expect("deployments/example.json is a valid deployment");
        assert!(d.deploy_block >= 1, "{d:?}");
        assert!(d.rpc_url.is_some(), "{d:?}");
    }

    #[test]
    fn rejects_a_zero_protocol_address() {
        let json = SAMPLE.replace(
            "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
            "0x0000000000000000000000000000000000000000",
        );
        let err = Deployment::parse(&json, Path::new("x")).expect_err("zero address");
        assert!(matches!(
            err,
            DeploymentError::ZeroAddress {
                field: "roundsManager",
                ..
            }
        ));
    }

    #[test]
    fn rejects_malformed_json_with_the_file_name() {
        let err =
            Deployment::parse("{\"chainId\": 1", Path::new("deployments/x.json")).expect_err("bad");
        assert!(err.to_string().contains("deployments/x.json"), "{err}");
    }

    #[test]
    fn reports_a_missing_file() {
        let err = Deployment::load("/nonexistent/streamflow.json").expect_err("missing");
        assert!(matches!(err, DeploymentError::Read { .. }));
    }
}
