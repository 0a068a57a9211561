//! Checks on what an orchestrator returns for a segment.
//!
//! Cheap, on every segment: the signed receipt is about this broadcaster, orchestrator, stream,
//! segment, input and service, and its signature recovers to the orchestrator under the
//! FaultVerifier's domain; its renditions are exactly those returned, in order, for the profiles
//! asked (every rung the source allows, none above it), with pixel counts that add up
//! (`width × height × frames`); each rendition's bytes hash to the `outputHash` signed (checked when
//! fetched); and a probe of each rendition agrees with the claim and the profile.
//!
//! Full, on a random sample (and whenever the probe finds something suspicious): the transcoder
//! crate's verifier decodes the renditions, recounts the pixels exactly and compares sampled frames
//! with the source (PSNR, SSIM, worst block, colour, alignment).

use std::path::Path;

use alloy::primitives::{Address, B256, U256};
use streamflow_protocol::ticket::recover_signer;
use streamflow_transcoder::probe::ProbeInfo;
use streamflow_transcoder::verify::{
    self, Claim, Item, Level, RenditionVerification, VerifyOptions,
};
use streamflow_transcoder::{Profile, Verdict};

use crate::wire::{SegmentResult, profile_id};

/// What the receipt must say.
#[derive(Debug, Clone)]
pub struct Expectation<'a> {
    /// This broadcaster.
    pub broadcaster: Address,
    /// The orchestrator asked.
    pub orchestrator: Address,
    /// The stream.
    pub stream_id: B256,
    /// The segment.
    pub seq_no: u64,
    /// `keccak256` of the source segment sent.
    pub input_hash: B256,
    /// The service asked.
    pub service_id: B256,
    /// The FaultVerifier domain's separator (receipts are signed under it).
    pub receipt_domain: B256,
    /// The profiles asked, in order.
    pub profiles: &'a [Profile],
    /// The source's probe.
    pub source: &'a ProbeInfo,
}

/// Every way the answer's receipt and accounting disagree with what was asked (empty: none).
pub fn receipt_faults(e: &Expectation<'_>, result: &SegmentResult) -> Vec<String> {
    let mut f = Vec::new();
    let r = &result.receipt.receipt;
    let mut field = |ok: bool, what: &str| {
        if !ok {
            f.push(format!("receipt {what} is not the one asked"));
        }
    };
    field(r.broadcaster == e.broadcaster, "broadcaster");
    field(r.orchestrator == e.orchestrator, "orchestrator");
    field(r.stream_id == e.stream_id, "streamId");
    field(r.seq_no == U256::from(e.seq_no), "seqNo");
    field(r.input_hash == e.input_hash, "inputHash");
    field(r.service_id == e.service_id, "serviceId");
    match r.digest(&e.receipt_domain) {
        Ok(digest) => match recover_signer(&digest, &result.receipt.signature) {
            Ok(signer) if signer == e.orchestrator => {}
            Ok(signer) => f.push(format!(
                "receipt signed by {signer}, not the orchestrator {}",
                e.orchestrator
            )),
            Err(why) => f.push(format!("receipt signature refused: {why:?}")),
        },
        Err(_) => f.push("receipt lists too many renditions".into()),
    }
    // The rungs the source allows, in order.
    let wanted: Vec<&Profile> = e
        .profiles
        .iter()
        .filter(|p| p.output_size(e.source.width, e.source.height).is_some())
        .collect();
    if result.renditions.len() != wanted.len() {
        f.push(format!(
            "{} renditions returned, {} asked for a {}x{} source",
            result.renditions.len(),
            wanted.len(),
            e.source.width,
            e.source.height
        ));
    }
    if r.renditions.len() != result.renditions.len() {
        f.push(format!(
            "receipt signs {} renditions, {} returned",
            r.renditions.len(),
            result.renditions.len()
        ));
    }
    for (i, got) in result.renditions.iter().enumerate() {
        if let Some(p) = wanted.get(i)
            && (got.profile_id != profile_id(p) || got.name != p.name)
        {
            {
                f.push(format!(
                    "rendition {i} ({}) is not profile {}",
                    got.name, p.name
                ));
            }
        }
        let counted = u64::from(got.width)
            .checked_mul(u64::from(got.height))
            .and_then(|x| x.checked_mul(got.frames));
        if counted != Some(got.pixels) {
            f.push(format!(
                "rendition {}: {}x{} × {} frames is not {} pixels",
                got.name, got.width, got.height, got.frames, got.pixels
            ));
        }
        match r.renditions.get(i) {
            Some(s)
                if s.profile == got.profile_id
                    && s.output_hash == got.output_hash
                    && s.pixels == got.pixels => {}
            _ => f.push(format!(
                "rendition {} differs from what the receipt signs",
                got.name
            )),
        }
    }
    f
}

/// One rendition file to check, with its profile and the orchestrator's claim.
#[derive(Debug, Clone)]
pub struct RenditionFile<'a> {
    /// The file (in the evidence store).
    pub path: &'a Path,
    /// The profile asked.
    pub profile: &'a Profile,
    /// The claim.
    pub claim: Claim,
}

/// Runs the transcoder crate's verifier: probe checks always; decoding, exact pixels and quality
/// when `sampled` or on suspicion.
pub fn media_checks(
    source: &Path,
    source_probe: &ProbeInfo,
    renditions: &[RenditionFile<'_>],
    sampled: bool,
) -> Result<Vec<RenditionVerification>, streamflow_transcoder::TranscodeError> {
    let items: Vec<Item<'_>> = renditions
        .iter()
        .map(|r| Item {
            rendition: r.path,
            profile: r.profile,
            claim: r.claim,
        })
        .collect();
    let opts = VerifyOptions {
        level: Level::Auto,
        audit: sampled,
        ..VerifyOptions::default()
    };
    verify::verify_segment(source, source_probe, &items, &opts)
}

/// The verdict over a segment's renditions.
pub fn overall(results: &[RenditionVerification]) -> Verdict {
    verify::overall(results)
}

/// Whether this segment is drawn for the full check: a draw keyed by a secret of this session, so an
/// orchestrator cannot tell which segments will be checked.
pub fn sampled(secret: u64, seq_no: u64, rate: f64) -> bool {
    verify::audit_draw(secret ^ seq_no.wrapping_mul(0x9e37_79b9_7f4a_7c15), rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Balance, RenditionResult, SignedReceipt};
    use alloy::primitives::{Bytes, I256, keccak256};
    use streamflow_protocol::LocalSigner;
    use streamflow_protocol::receipt::{Rendition, SegmentReceipt, fault_verifier_domain};

    fn probe(w: u32, h: u32) -> ProbeInfo {
        ProbeInfo {
            codec: "h264".into(),
            width: w,
            height: h,
            fps: 25.0,
            frames: 50,
            duration_secs: 2.0,
            video_bytes: 1,
            video_bitrate: 1.0,
            starts_with_keyframe: true,
            starts_with_idr: true,
            keyframes: 1,
            profile: "High".into(),
            has_audio: false,
        }
    }

    fn answer(
        key: &LocalSigner,
        domain: &B256,
        profiles: &[Profile],
        me: Address,
    ) -> SegmentResult {
        let renditions: Vec<RenditionResult> = profiles
            .iter()
            .map(|p| RenditionResult {
                name: p.name.clone(),
                profile_id: profile_id(p),
                width: p.width,
                height: p.height,
                frames: 50,
                pixels: u64::from(p.width) * u64::from(p.height) * 50,
                bytes: 10,
                output_hash: keccak256(p.name.as_bytes()),
                path: String::new(),
            })
            .collect();
        let receipt = SegmentReceipt {
            broadcaster: me,
            orchestrator: key.address(),
            stream_id: B256::repeat_byte(1),
            seq_no: U256::from(4u64),
            input_hash: B256::repeat_byte(2),
            service_id: B256::repeat_byte(3),
            renditions: renditions
                .iter()
                .map(|r| Rendition {
                    profile: r.profile_id,
                    output_hash: r.output_hash,
                    pixels: r.pixels,
                })
                .collect(),
            ticket: Default::default(),
        };
        let sig = receipt.sign(domain, key).expect("sign");
        SegmentResult {
            renditions,
            receipt: SignedReceipt {
                receipt,
                signature: Bytes::copy_from_slice(&sig),
            },
            balance: Balance {
                received: U256::ZERO,
                charged: U256::ZERO,
                credit: I256::ZERO,
            },
            winning_tickets: 0,
            transcode_ms: 1,
        }
    }

    #[test]
    fn an_honest_receipt_passes_and_each_lie_is_named() {
        let key = LocalSigner::from_bytes(&keccak256("orchestrator")).expect("key");
        let domain = fault_verifier_domain(31337, Address::repeat_byte(0xfa)).separator();
        let profiles = vec![
            Profile::preset("240p").expect("p"),
            Profile::preset("360p").expect("p"),
            Profile::preset("1080p").expect("p"),
        ];
        let me = Address::repeat_byte(0xb0);
        let src = probe(1280, 720);
        let e = Expectation {
            broadcaster: me,
            orchestrator: key.address(),
            stream_id: B256::repeat_byte(1),
            seq_no: 4,
            input_hash: B256::repeat_byte(2),
            service_id: B256::repeat_byte(3),
            receipt_domain: domain,
            profiles: &profiles,
            source: &src,
        };
        // 1080p is above the 720p source: skipped.
        let good = answer(&key, &domain, &profiles[..2], me);
        assert_eq!(receipt_faults(&e, &good), Vec::<String>::new());

        let mut pixels = good.clone();
        pixels.renditions[1].pixels += 1;
        assert!(
            receipt_faults(&e, &pixels)
                .iter()
                .any(|f| f.contains("pixels"))
        );

        let other = LocalSigner::from_bytes(&keccak256("someone else")).expect("key");
        let mut forged = answer(&other, &domain, &profiles[..2], me);
        forged.receipt.receipt.orchestrator = key.address();
        assert!(
            receipt_faults(&e, &forged)
                .iter()
                .any(|f| f.contains("signed by"))
        );

        let missing = answer(&key, &domain, &profiles[..1], me);
        assert!(
            receipt_faults(&e, &missing)
                .iter()
                .any(|f| f.contains("1 renditions returned, 2 asked"))
        );

        let mut swapped = good.clone();
        swapped.renditions[0].output_hash = B256::ZERO;
        assert!(
            receipt_faults(&e, &swapped)
                .iter()
                .any(|f| f.contains("differs"))
        );

        let wrong_seq = Expectation {
            seq_no: 5,
            ..e.clone()
        };
        assert!(
            receipt_faults(&wrong_seq, &good)
                .iter()
                .any(|f| f.contains("seqNo"))
        );
    }

    #[test]
    fn the_sample_follows_the_rate() {
        let hits = (0..10_000u64).filter(|&s| sampled(42, s, 0.1)).count();
        assert!((800..1200).contains(&hits), "{hits}");
        assert!((0..100u64).all(|s| sampled(1, s, 1.0)));
        assert!(!(0..100u64).any(|s| sampled(1, s, 0.0)));
    }
}
