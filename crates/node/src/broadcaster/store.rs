//! What the broadcaster keeps of a stream: every signed receipt (a JSON lines file, one record per
//! segment, appended and flushed as each segment is accepted) and the bytes the receipts name —
//! source segments and renditions — stored by content hash (`evidence/<keccak256>.ts`), so a
//! challenge can be opened later from the file alone.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::wire::{SignedReceipt, content_hash};

/// A content-addressed folder of segment and rendition bytes.
#[derive(Debug, Clone)]
pub struct Evidence {
    dir: PathBuf,
}

impl Evidence {
    /// The folder (created if missing).
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// Where the bytes of `hash` are (whether or not they are there).
    pub fn path(&self, hash: &B256) -> PathBuf {
        self.dir.join(format!("{hash}.ts"))
    }

    /// Stores `bytes` under their hash (written once, atomically) and returns the hash.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<B256> {
        let hash = content_hash(bytes);
        let path = self.path(&hash);
        if !path.exists() {
            let tmp = self.dir.join(format!(".{hash}.tmp"));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(hash)
    }

    /// The bytes of `hash`, checked against it; `None` if absent or altered.
    pub fn get(&self, hash: &B256) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(hash)).ok()?;
        (content_hash(&bytes) == *hash).then_some(bytes)
    }
}

/// Where a segment's fault stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ReceiptState {
    /// Every check run on it passed.
    Accepted,
    /// A check failed: the receipt is evidence of a fault, and a challenge is to be opened with it
    /// (by `streamflow-node broadcaster` when its challenge support is configured, or by hand).
    ChallengePending {
        /// What failed.
        reasons: Vec<String>,
    },
    /// A challenge was opened with this receipt.
    Challenged {
        /// What failed.
        reasons: Vec<String>,
        /// The FaultVerifier's challenge id.
        challenge_id: String,
    },
}

/// One rendition as kept: enough to find its bytes and check them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptRendition {
    /// The profile's name.
    pub name: String,
    /// `keccak256` of its bytes (in `evidence/`).
    pub output_hash: B256,
    /// Pixels claimed (and counted by the cheap check).
    pub pixels: u64,
}

/// One accepted segment's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptRecord {
    /// The segment's sequence number.
    pub seq_no: u64,
    /// The orchestrator that did it.
    pub orchestrator: Address,
    /// Its service URI.
    pub uri: String,
    /// `keccak256` of the source segment (in `evidence/`).
    pub input_hash: B256,
    /// The renditions.
    pub renditions: Vec<KeptRendition>,
    /// The signed receipt, as received.
    pub receipt: SignedReceipt,
    /// Whether the full metric check ran on it.
    pub sampled: bool,
    /// Where it stands.
    #[serde(flatten)]
    pub state: ReceiptState,
}

/// The append-only receipts file.
#[derive(Debug)]
pub struct Receipts {
    path: PathBuf,
    file: File,
}

impl Receipts {
    /// Opens (or creates) the file for appending.
    pub fn open(path: impl Into<PathBuf>) -> std::io::Result<Self> {
        let path = path.into();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Self { path, file })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a record and syncs it to disk.
    pub fn append(&mut self, record: &ReceiptRecord) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }

    /// Reads every record of a receipts file.
    pub fn read_all(path: &Path) -> std::io::Result<Vec<ReceiptRecord>> {
        let f = File::open(path)?;
        let mut out = Vec::new();
        for line in BufReader::new(f).lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            out.push(serde_json::from_str(&line).map_err(std::io::Error::other)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_content_addressed_and_checked() {
        let dir = tempfile::tempdir().expect("tmp");
        let e = Evidence::open(dir.path().join("ev")).expect("open");
        let h = e.put(b"segment bytes").expect("put");
        assert_eq!(h, content_hash(b"segment bytes"));
        assert_eq!(e.put(b"segment bytes").expect("again"), h);
        assert_eq!(e.get(&h).as_deref(), Some(&b"segment bytes"[..]));
        std::fs::write(e.path(&h), b"tampered").expect("write");
        assert_eq!(e.get(&h), None);
    }

    #[test]
    fn records_round_trip_through_the_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("receipts.jsonl");
        let mut r = Receipts::open(&path).expect("open");
        let rec = ReceiptRecord {
            seq_no: 3,
            orchestrator: Address::repeat_byte(1),
            uri: "http://o".into(),
            input_hash: B256::repeat_byte(2),
            renditions: vec![KeptRendition {
                name: "240p".into(),
                output_hash: B256::repeat_byte(3),
                pixels: 9,
            }],
            receipt: SignedReceipt {
                receipt: Default::default(),
                signature: Default::default(),
            },
            sampled: true,
            state: ReceiptState::ChallengePending {
                reasons: vec!["psnr".into()],
            },
        };
        r.append(&rec).expect("append");
        r.append(&ReceiptRecord {
            seq_no: 4,
            state: ReceiptState::Accepted,
            ..rec.clone()
        })
        .expect("append");
        let back = Receipts::read_all(&path).expect("read");
        assert_eq!(back.len(), 2);
        assert_eq!(back[0], rec);
        let line = std::fs::read_to_string(&path).expect("read");
        assert!(line.contains("\"state\":\"challengePending\""), "{line}");
    }
}
