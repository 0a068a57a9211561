//! One committee member's judgement of one challenged segment: fetch the evidence the receipt names,
//! check it hashes to what the orchestrator signed, and run the transcoder crate's verification of
//! every rendition against the source.
//!
//! The rule (the same for every member, so honest members agree):
//! - **Fault** if any rendition whose evidence could be fetched fails verification (wrong size, frame
//!   count or pixels, undecodable, or quality far below its source: an overlay, another video, colour
//!   removed). The pixels checked are the receipt's signed `pixels`; width, height and frame count
//!   are read from the rendition itself (the receipt doesn't sign them).
//! - **No fault** if every checked rendition passes (a *suspicious* rendition is not a proven fault),
//!   or if the challenger did not provide the source or any rendition before the member's fetch
//!   deadline: the burden of proof is on the challenger.
//!
//! The quality stage samples frames with a key derived from the challenge (its receipt digest, id
//! and the hash of the block that opened it), so every member compares the same frames and the
//! orchestrator could not know them when it produced the rendition.

use std::path::Path;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256, keccak256};
use streamflow_protocol::receipt::SegmentReceipt;
use streamflow_transcoder::Profile;
use streamflow_transcoder::probe::probe;
use streamflow_transcoder::sampling::SampleKey;
use streamflow_transcoder::verify::{Claim, Item, Level, VerifyOptions, verify_segment};

use crate::evidence::{self, EvidenceError};

/// A challenge to judge, as read from the chain.
#[derive(Debug, Clone)]
pub struct Case {
    /// The FaultVerifier that opened it.
    pub fault_verifier: Address,
    /// Its challenge id.
    pub challenge_id: U256,
    /// The receipt's digest (from `ReviewRequested`).
    pub receipt_digest: B256,
    /// The last block a verdict may be submitted in.
    pub deadline: u64,
    /// The hash of the block the challenge was opened in.
    pub block_hash: B256,
    /// The challenged receipt (from the `openChallenge` calldata).
    pub receipt: SegmentReceipt,
    /// The challenger's evidence store URL (from the `evidence` argument).
    pub evidence_uri: String,
}

/// What a member found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Whether a fault is proven.
    pub fault: bool,
    /// Why, for the log.
    pub reasons: Vec<String>,
}

/// How hard a member tries to get the evidence.
#[derive(Debug, Clone, Copy)]
pub struct FetchPolicy {
    /// Per request.
    pub request_timeout: Duration,
    /// Between attempts.
    pub retry_every: Duration,
    /// When to stop trying (then missing evidence counts against the challenger).
    pub give_up_at: Instant,
}

/// Fetches `hash` from the challenger's store, retrying until the policy's deadline.
async fn fetch_retrying(
    client: &reqwest::Client,
    uri: &str,
    hash: &B256,
    policy: &FetchPolicy,
) -> Result<Vec<u8>, EvidenceError> {
    loop {
        match evidence::fetch(client, uri, hash, policy.request_timeout).await {
            Ok(b) => return Ok(b),
            // Bytes that don't hash right won't get better: the challenger's evidence is bad.
            Err(e @ (EvidenceError::HashMismatch { .. } | EvidenceError::TooLarge(_))) => {
                return Err(e);
            }
            Err(e) => {
                if Instant::now() + policy.retry_every >= policy.give_up_at {
                    return Err(e);
                }
                tracing::debug!(target: "verifier", %hash, error = %e, "evidence not available yet; retrying");
                tokio::time::sleep(policy.retry_every).await;
            }
        }
    }
}

/// Judges `case`, downloading its evidence into `work` (a scratch directory).
pub async fn judge(
    case: &Case,
    client: &reqwest::Client,
    work: &Path,
    policy: &FetchPolicy,
) -> Finding {
    let no = |reason: String| Finding {
        fault: false,
        reasons: vec![reason],
    };
    let r = &case.receipt;
    let uri = &case.evidence_uri;
    let source = match fetch_retrying(client, uri, &r.input_hash, policy).await {
        Ok(b) => b,
        Err(e) => return no(format!("no source segment from the challenger: {e}")),
    };
    let source_path = work.join("source.ts");
    if let Err(e) = tokio::fs::write(&source_path, &source).await {
        return no(format!("local i/o: {e}"));
    }
    // Each rendition the challenger provides, with the profile it was asked for.
    let mut checked: Vec<(usize, Profile, std::path::PathBuf)> = Vec::new();
    let mut missing = Vec::new();
    for (i, rendition) in r.renditions.iter().enumerate() {
        let profile = match fetch_retrying(client, uri, &rendition.profile, policy).await {
            Ok(json) => match serde_json::from_slice::<Profile>(&json) {
                Ok(p) => p,
                Err(e) => {
                    missing.push(format!("rendition {i}: profile is not a profile: {e}"));
                    continue;
                }
            },
            Err(e) => {
                missing.push(format!("rendition {i}: profile: {e}"));
                continue;
            }
        };
        let bytes = match fetch_retrying(client, uri, &rendition.output_hash, policy).await {
            Ok(b) => b,
            Err(e) => {
                missing.push(format!("rendition {i}: {e}"));
                continue;
            }
        };
        let path = work.join(format!("rendition-{i}.ts"));
        if let Err(e) = tokio::fs::write(&path, &bytes).await {
            return no(format!("local i/o: {e}"));
        }
        checked.push((i, profile, path));
    }
    if checked.is_empty() {
        let mut f = no("no rendition to check from the challenger".into());
        f.reasons.extend(missing);
        return f;
    }
    let secret = keccak256(
        [
            case.receipt_digest.as_slice(),
            &case.challenge_id.to_be_bytes::<32>(),
            case.block_hash.as_slice(),
        ]
        .concat(),
    );
    let pixels: Vec<u64> = checked
        .iter()
        .map(|(i, _, _)| r.renditions[*i].pixels)
        .collect();
    let digest = case.receipt_digest;
    let run = tokio::task::spawn_blocking(move || {
        verify_all(&source_path, &checked, &pixels, secret.0, &digest)
    })
    .await;
    match run {
        Ok(Ok(mut f)) => {
            f.reasons.extend(missing);
            f
        }
        Ok(Err(reason)) => no(reason),
        Err(e) => no(format!("verification task failed: {e}")),
    }
}

fn verify_all(
    source_path: &Path,
    checked: &[(usize, Profile, std::path::PathBuf)],
    pixels: &[u64],
    secret: [u8; 32],
    digest: &B256,
) -> Result<Finding, String> {
    let opts = VerifyOptions {
        level: Level::Full,
        key: Some(SampleKey::new(secret, digest.as_slice())),
        ..VerifyOptions::default()
    };
    let source_probe = probe(source_path, &opts.limits)
        .map_err(|e| format!("the signed source segment does not probe: {e}"))?;
    // The claim: the signed pixels; size and frame count as the file itself says (not signed).
    let claims: Vec<Claim> = checked
        .iter()
        .zip(pixels)
        .map(|((_, _, path), &pixels)| match probe(path, &opts.limits) {
            Ok(p) => Claim {
                width: p.width,
                height: p.height,
                frames: p.frames,
                pixels,
            },
            Err(_) => Claim {
                width: 0,
                height: 0,
                frames: 0,
                pixels,
            },
        })
        .collect();
    let items: Vec<Item<'_>> = checked
        .iter()
        .zip(&claims)
        .map(|((_, profile, path), claim)| Item {
            rendition: path,
            profile,
            claim: *claim,
        })
        .collect();
    let results = verify_segment(source_path, &source_probe, &items, &opts)
        .map_err(|e| format!("the source segment can't be verified against: {e}"))?;
    let mut reasons = Vec::new();
    let mut fault = false;
    for ((i, _, _), v) in checked.iter().zip(&results) {
        if v.verdict.is_fail() {
            fault = true;
            reasons.push(format!(
                "rendition {i} ({}): {}",
                v.name,
                v.verdict.reasons().join("; ")
            ));
        } else {
            reasons.push(format!("rendition {i} ({}): {:?}", v.name, v.verdict));
        }
    }
    Ok(Finding { fault, reasons })
}
