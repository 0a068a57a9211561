//! The challenger's evidence: a content-addressed store of the bytes a challenged receipt names, and
//! the HTTP server committee members fetch them from.
//!
//! Every blob is addressed by the `keccak256` of its bytes, exactly the hashes a
//! [`SegmentReceipt`] signs:
//!
//! | receipt field | blob |
//! |---|---|
//! | `inputHash` | the source segment |
//! | `renditions[i].outputHash` | rendition `i` |
//! | `renditions[i].profile` | the profile's canonical JSON ([`crate::wire::profile_id`] is its hash) |
//!
//! so nothing in the store has to be trusted: a member recomputes the hash of what it downloads
//! ([`fetch`]) and refuses anything else. The server answers `GET /v1/evidence/{hash}` (the hash as
//! `0x`-hex) with the bytes, or 404. A blob may also be kept as `<hash>.ts`, the layout a broadcaster
//! session uses for media, so that directory can be served as it is.
//!
//! **How a member finds the store.** The challenger passes its store's base URL as the `evidence`
//! argument of `FaultVerifier.openChallenge` ([`evidence_bytes`]; the CommitteeVerifier ignores
//! the bytes on chain). A member reads the `openChallenge` calldata of the transaction that emitted
//! the review request, which also carries the signed receipt, and decodes the URL with
//! [`evidence_uri`].

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::primitives::{B256, Bytes, keccak256};
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use streamflow_protocol::receipt::SegmentReceipt;
use streamflow_transcoder::Profile;

use crate::wire::profile_id;

/// The route evidence is served under (followed by `/{hash}`).
pub const EVIDENCE_PATH: &str = "/v1/evidence";
/// The longest evidence URL accepted in a challenge.
pub const MAX_URI_LEN: usize = 512;
/// The largest blob a member downloads (a segment or a rendition).
pub const MAX_BLOB_BYTES: u64 = 256 * 1024 * 1024;

/// Why evidence could not be stored, served or fetched.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// A local file operation failed.
    #[error("evidence store i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes don't hash to what the receipt says.
    #[error("bytes hash to {actual}, expected {expected}")]
    HashMismatch {
        /// The hash asked for.
        expected: B256,
        /// The hash of the bytes.
        actual: B256,
    },
    /// A blob given for a receipt is not named by it.
    #[error("{0} is not a hash the receipt names")]
    NotInReceipt(B256),
    /// The evidence argument of a challenge is not a usable URL.
    #[error("evidence is not an http(s) URL: {0}")]
    BadUri(String),
    /// The store answered that it doesn't have the blob.
    #[error("{0} not found at the evidence store")]
    NotFound(B256),
    /// The blob is larger than [`MAX_BLOB_BYTES`].
    #[error("blob {0} is larger than {MAX_BLOB_BYTES} bytes")]
    TooLarge(B256),
    /// The HTTP request failed.
    #[error("fetching {hash}: {reason}")]
    Http {
        /// The blob asked for.
        hash: B256,
        /// What failed.
        reason: String,
    },
}

/// A directory of blobs named by their `keccak256` (`0x…`), written atomically.
#[derive(Debug, Clone)]
pub struct EvidenceStore {
    dir: PathBuf,
}

impl EvidenceStore {
    /// Opens (creating it if needed) the store in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, EvidenceError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob `hash` is (or would be) kept.
    pub fn path_of(&self, hash: &B256) -> PathBuf {
        self.dir.join(format!("{hash}"))
    }

    /// Whether the store holds `hash`.
    pub fn contains(&self, hash: &B256) -> bool {
        self.path_of(hash).is_file() || self.media_path_of(hash).is_file()
    }

    /// The same blob under a `.ts` name: media kept by a broadcaster session in this directory
    /// (`<hash>.ts`) is served as well.
    fn media_path_of(&self, hash: &B256) -> PathBuf {
        self.dir.join(format!("{hash}.ts"))
    }

    /// Stores `bytes` under their hash and returns it.
    pub fn put(&self, bytes: &[u8]) -> Result<B256, EvidenceError> {
        let hash = keccak256(bytes);
        let path = self.path_of(&hash);
        if self.contains(&hash) {
            return Ok(hash);
        }
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(hash)
    }

    /// Stores `bytes`, which must hash to `expected`.
    pub fn put_expecting(&self, expected: B256, bytes: &[u8]) -> Result<(), EvidenceError> {
        let actual = keccak256(bytes);
        if actual != expected {
            return Err(EvidenceError::HashMismatch { expected, actual });
        }
        self.put(bytes).map(|_| ())
    }

    /// The blob `hash`, if held.
    pub fn get(&self, hash: &B256) -> Result<Option<Vec<u8>>, EvidenceError> {
        for path in [self.path_of(hash), self.media_path_of(hash)] {
            match std::fs::read(path) {
                Ok(b) => return Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Stores the evidence of one segment: its source, and each rendition with the profile it was
    /// asked for. Every blob must be one the receipt names (the source its `inputHash`, each
    /// rendition an `outputHash`, each profile's canonical JSON a `profile`).
    pub fn put_segment(
        &self,
        receipt: &SegmentReceipt,
        source: &[u8],
        renditions: &[(&Profile, &[u8])],
    ) -> Result<(), EvidenceError> {
        self.put_expecting(receipt.input_hash, source)?;
        for (profile, bytes) in renditions {
            let output = keccak256(bytes);
            let id = profile_id(profile);
            if !receipt
                .renditions
                .iter()
                .any(|r| r.output_hash == output && r.profile == id)
            {
                return Err(EvidenceError::NotInReceipt(output));
            }
            self.put(bytes)?;
            self.put(&profile_json(profile))?;
        }
        Ok(())
    }

    /// The hashes the receipt names that the store doesn't hold.
    pub fn missing_for(&self, receipt: &SegmentReceipt) -> Vec<B256> {
        std::iter::once(receipt.input_hash)
            .chain(
                receipt
                    .renditions
                    .iter()
                    .flat_map(|r| [r.profile, r.output_hash]),
            )
            .filter(|h| !self.contains(h))
            .collect()
    }
}

/// A profile's canonical JSON: the bytes whose `keccak256` is [`profile_id`].
pub fn profile_json(profile: &Profile) -> Vec<u8> {
    // Serialising a plain struct of numbers, strings and enums cannot fail.
    serde_json::to_vec(profile).unwrap_or_default()
}

/// The `evidence` argument of `openChallenge` naming the store at `base_url`
/// (e.g. `http://203.0.113.7:8940`): the URL's UTF-8 bytes.
pub fn evidence_bytes(base_url: &str) -> Result<Bytes, EvidenceError> {
    let url = base_url.trim_end_matches('/');
    check_uri(url)?;
    Ok(Bytes::copy_from_slice(url.as_bytes()))
}

/// The store's base URL from a challenge's `evidence` bytes.
pub fn evidence_uri(evidence: &[u8]) -> Result<String, EvidenceError> {
    let s = std::str::from_utf8(evidence)
        .map_err(|_| EvidenceError::BadUri(format!("{} bytes, not UTF-8", evidence.len())))?;
    check_uri(s)?;
    Ok(s.trim_end_matches('/').to_owned())
}

fn check_uri(s: &str) -> Result<(), EvidenceError> {
    let ok_scheme = s.starts_with("http://") || s.starts_with("https://");
    if !ok_scheme || s.len() > MAX_URI_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        let shown: String = s.chars().take(80).collect();
        return Err(EvidenceError::BadUri(shown));
    }
    Ok(())
}

/// The URL of blob `hash` at the store `base_url`.
pub fn blob_url(base_url: &str, hash: &B256) -> String {
    format!("{}{EVIDENCE_PATH}/{hash}", base_url.trim_end_matches('/'))
}

/// Downloads blob `hash` from the store at `base_url` and checks that the bytes hash to it.
pub async fn fetch(
    client: &reqwest::Client,
    base_url: &str,
    hash: &B256,
    timeout: Duration,
) -> Result<Vec<u8>, EvidenceError> {
    let http = |reason: String| EvidenceError::Http {
        hash: *hash,
        reason,
    };
    let resp = client
        .get(blob_url(base_url, hash))
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| http(e.to_string()))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(EvidenceError::NotFound(*hash));
    }
    if !resp.status().is_success() {
        return Err(http(format!("HTTP {}", resp.status())));
    }
    if resp.content_length().is_some_and(|n| n > MAX_BLOB_BYTES) {
        return Err(EvidenceError::TooLarge(*hash));
    }
    let mut resp = resp;
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| http(e.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > MAX_BLOB_BYTES {
            return Err(EvidenceError::TooLarge(*hash));
        }
    }
    let actual = keccak256(&body);
    if actual != *hash {
        return Err(EvidenceError::HashMismatch {
            expected: *hash,
            actual,
        });
    }
    Ok(body)
}

/// The evidence server's routes over `store`.
pub fn router(store: EvidenceStore) -> axum::Router {
    axum::Router::new()
        .route(
            &format!("{EVIDENCE_PATH}/{{hash}}"),
            axum::routing::get(get_blob),
        )
        .with_state(store)
}

async fn get_blob(State(store): State<EvidenceStore>, UrlPath(hash): UrlPath<String>) -> Response {
    let Ok(hash) = hash.parse::<B256>() else {
        return (StatusCode::BAD_REQUEST, "not a 32-byte hex hash").into_response();
    };
    let read = tokio::task::spawn_blocking(move || store.get(&hash)).await;
    match read {
        Ok(Ok(Some(bytes))) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "no such blob").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(target: "evidence", error = %e, "reading a blob failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "read failed").into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "read failed").into_response(),
    }
}

/// Serves `store` on `listener` until `shutdown` resolves.
pub async fn serve(
    store: EvidenceStore,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(target: "evidence", listen = %listener.local_addr()?, dir = %store.dir().display(), "evidence server running");
    axum::serve(listener, router(store))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip_and_garbage_is_refused() {
        let b = evidence_bytes("http://127.0.0.1:8940/").expect("url");
        assert_eq!(evidence_uri(&b).expect("back"), "http://127.0.0.1:8940");
        assert!(evidence_uri(b"ftp://x").is_err());
        assert!(evidence_uri(b"http://a b").is_err());
        assert!(evidence_uri(&[0xff, 0xfe]).is_err());
        let long = format!("http://{}", "a".repeat(MAX_URI_LEN));
        assert!(evidence_bytes(&long).is_err());
    }

    #[test]
    fn store_is_content_addressed_and_checks_receipt_hashes() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = EvidenceStore::open(dir.path()).expect("open");
        let profile = Profile::preset("360p").expect("preset");
        let receipt = SegmentReceipt {
            input_hash: keccak256(b"source"),
            renditions: vec![streamflow_protocol::receipt::Rendition {
                profile: profile_id(&profile),
                output_hash: keccak256(b"rendition"),
                pixels: 1,
            }],
            ..SegmentReceipt::default()
        };
        assert_eq!(store.missing_for(&receipt).len(), 3);
        store
            .put_segment(&receipt, b"source", &[(&profile, b"rendition")])
            .expect("put");
        assert!(store.missing_for(&receipt).is_empty());
        assert_eq!(
            store.get(&keccak256(b"rendition")).expect("get"),
            Some(b"rendition".to_vec())
        );
        // A broadcaster session's `<hash>.ts` files in the same directory are served too.
        std::fs::write(
            dir.path().join(format!("{}.ts", keccak256(b"kept"))),
            b"kept",
        )
        .expect("write");
        assert_eq!(
            store.get(&keccak256(b"kept")).expect("get"),
            Some(b"kept".to_vec())
        );
        assert!(matches!(
            store.put_segment(&receipt, b"other source", &[]),
            Err(EvidenceError::HashMismatch { .. })
        ));
        assert!(matches!(
            store.put_segment(&receipt, b"source", &[(&profile, b"other")]),
            Err(EvidenceError::NotInReceipt(_))
        ));
    }
}
