//! The broadcaster's settings: a TOML file (every field optional), overridden by flags and
//! `STREAMFLOW_*` environment variables (see [`super::cli`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use alloy::primitives::{B256, U256};
use serde::{Deserialize, Serialize};

use crate::wire::Price;

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A setting is missing or malformed.
    #[error("config: {0}")]
    Invalid(String),
}

/// Everything the broadcaster reads from its config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The Ethereum node's JSON-RPC URL.
    pub rpc_url: String,
    /// The deployment file (`deployments/local.json`).
    pub deployment: PathBuf,
    /// A file holding the broadcaster's private key (hex), readable only by its owner.
    pub key_file: Option<PathBuf>,
    /// How the broadcaster streams.
    pub stream: StreamConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rpc_url: "http://127.0.0.1:8545".into(),
            deployment: PathBuf::from("deployments/local.json"),
            key_file: None,
            stream: StreamConfig::default(),
        }
    }
}

/// Settings of `broadcaster stream`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamConfig {
    /// The service wanted: a name (`h264-abr`, hashed into its id) or a `0x` 32-byte id.
    pub service: String,
    /// The region wanted: a name (hashed) or a `0x` 32-byte id; none asks every region.
    pub region: Option<String>,
    /// Orchestrators below this stake (LPT, e.g. `1000`) are not asked.
    pub min_stake_lpt: String,
    /// Service URIs to use instead of reading the registry (testing, private deals).
    pub orchestrators: Vec<String>,
    /// Registry page size.
    pub registry_page: u64,
    /// Rendition presets (`240p`, `360p`, `480p`, `720p`, `1080p`), lowest first.
    pub profiles: Vec<String>,
    /// Target segment length in seconds (cut at the first keyframe after it).
    pub segment_secs: f64,
    /// Send each segment to this many orchestrators; the first good answer wins.
    pub redundancy: u32,
    /// The most a quote may ask, as `WEI/PIXELS` (e.g. `1/1000`); none accepts any price.
    pub max_price: Option<String>,
    /// A quote slower than this is ignored (ms).
    pub quote_timeout_ms: u64,
    /// A segment not answered within this is given up on that orchestrator (ms).
    pub segment_timeout_ms: u64,
    /// Failed attempts (and distinct orchestrators) for one segment before the stream stops; when
    /// every known orchestrator failed it, all are quoted again and retried (after 0.2 s, then
    /// doubling up to 2 s).
    pub max_attempts: u32,
    /// Fraction of segments (0..=1) that get the full metric check.
    pub verify_rate: f64,
    /// On `LowPMBalance`, add this much to the deposit (e.g. `0.1eth`) and go on; none stops.
    pub top_up: Option<String>,
    /// The most top-ups in one stream.
    pub max_top_ups: u32,
    /// Where the HLS output, the receipts and the evidence go.
    pub out_dir: PathBuf,
    /// Serve the HLS folder over HTTP here while streaming.
    pub http: Option<SocketAddr>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            service: "h264-abr".into(),
            region: None,
            min_stake_lpt: "0".into(),
            orchestrators: Vec::new(),
            registry_page: 50,
            profiles: vec!["240p".into(), "360p".into()],
            segment_secs: 2.0,
            redundancy: 1,
            max_price: None,
            quote_timeout_ms: 3_000,
            segment_timeout_ms: 60_000,
            max_attempts: 6,
            verify_rate: 0.1,
            top_up: None,
            max_top_ups: 3,
            out_dir: PathBuf::from("broadcast"),
            http: None,
        }
    }
}

impl Config {
    /// Reads a TOML file; a missing file at the default path gives the defaults.
    pub fn load(path: &Path, must_exist: bool) -> Result<Self, ConfigError> {
        let err = |reason: String| ConfigError::File {
            path: path.to_path_buf(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| err(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Self::default())
            }
            Err(e) => Err(err(e.to_string())),
        }
    }
}

/// A 32-byte id from a name (hashed with `keccak256`) or a `0x` hex id.
pub fn id_from(s: &str) -> B256 {
    if s.starts_with("0x")
        && s.len() == 66
        && let Ok(id) = s.parse()
    {
        return id;
    }
    crate::wire::service_id(s)
}

/// Parses `WEI/PIXELS` (or a bare `WEI`, per pixel).
pub fn parse_price(s: &str) -> Result<Price, ConfigError> {
    let bad = || ConfigError::Invalid(format!("price {s:?} is not WEI/PIXELS (e.g. 1/1000)"));
    let (w, p) = s.split_once('/').unwrap_or((s, "1"));
    let wei_per_unit: U256 = w.trim().parse().map_err(|_| bad())?;
    let pixels_per_unit: u64 = p.trim().parse().map_err(|_| bad())?;
    if pixels_per_unit == 0 {
        return Err(bad());
    }
    Ok(Price {
        wei_per_unit,
        pixels_per_unit,
    })
}

/// Whether price `a` is at most price `b` (exact: cross-multiplied).
pub fn price_le(a: &Price, b: &Price) -> bool {
    let l = alloy::primitives::U512::from(a.wei_per_unit)
        * alloy::primitives::U512::from(b.pixels_per_unit);
    let r = alloy::primitives::U512::from(b.wei_per_unit)
        * alloy::primitives::U512::from(a.pixels_per_unit);
    l <= r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_file_keeps_the_defaults() {
        let c: Config = toml::from_str(
            "rpc_url = \"http://x:1\"\n[stream]\nredundancy = 2\nprofiles = [\"240p\"]\n",
        )
        .expect("toml");
        assert_eq!(c.rpc_url, "http://x:1");
        assert_eq!(c.stream.redundancy, 2);
        assert_eq!(c.stream.segment_secs, 2.0);
        assert!(toml::from_str::<Config>("nope = 1").is_err());
    }

    #[test]
    fn prices_parse_and_compare_exactly() {
        let a = parse_price("1/1000").expect("a");
        let b = parse_price("2/1999").expect("b");
        assert!(price_le(&a, &b) && !price_le(&b, &a));
        assert!(price_le(&a, &a));
        assert_eq!(parse_price("5").expect("bare").pixels_per_unit, 1);
        assert!(parse_price("1/0").is_err() && parse_price("x").is_err());
    }

    #[test]
    fn ids_from_names_or_hex() {
        assert_eq!(id_from("h264-abr"), crate::wire::service_id("h264-abr"));
        let hex = format!("{}", B256::repeat_byte(7));
        assert_eq!(id_from(&hex), B256::repeat_byte(7));
    }
}
