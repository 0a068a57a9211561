//! Segment receipts and committee verdicts, hashed exactly as `libraries/SegmentReceipt.sol` and
//! `verifiers/CommitteeVerifier.sol` hash them.
//!
//! An orchestrator signs a [`SegmentReceipt`] for every segment it returns, under the FaultVerifier
//! proxy's domain ([`fault_verifier_domain`]); a broadcaster keeps it as evidence for a challenge.
//! Committee members sign a [`CommitteeVerdict`] on a challenge under the CommitteeVerifier proxy's
//! domain ([`committee_domain`]).

use crate::ecdsa::{LocalSigner, Signature};
use crate::eip712::{self, Domain};
use crate::ticket::Ticket;
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use streamflow_bindings::contracts::fault_verifier::{FaultVerifier, SegmentReceipt as Abi};

/// The receipt's EIP-712 type, with its referenced types appended in name order
/// (the preimage of `SegmentReceipt.RECEIPT_TYPEHASH`).
pub const RECEIPT_TYPE: &str = concat!(
    "SegmentReceipt(address broadcaster,address orchestrator,bytes32 streamId,uint256 seqNo,bytes32 inputHash,bytes32 serviceId,Rendition[] renditions,TicketParams ticket)",
    "Rendition(bytes32 profile,bytes32 outputHash,uint64 pixels)",
    "TicketParams(uint256 faceValue,uint256 winProb,uint256 senderNonce,bytes32 recipientRandHash,uint256 creationRound)"
);
/// `keccak256(RECEIPT_TYPE)`.
pub const RECEIPT_TYPEHASH: B256 =
    alloy::primitives::b256!("d9308878d06b0219501eb4d1eb92eb80df15e6f9dbbf705d3c56d092b52518a7");
/// `keccak256("Rendition(bytes32 profile,bytes32 outputHash,uint64 pixels)")`.
pub const RENDITION_TYPEHASH: B256 =
    alloy::primitives::b256!("1f5af6cd4c64c325ae2254161776c898e1829a78a3bdc482fa26fa9cf4fd6f6c");
/// `keccak256("TicketParams(uint256 faceValue,uint256 winProb,uint256 senderNonce,bytes32 recipientRandHash,uint256 creationRound)")`.
pub const TICKET_PARAMS_TYPEHASH: B256 =
    alloy::primitives::b256!("fad46790fd961056a1b02c7066f919763c5fbba95d00e7aa53cc3b690d691c2e");
/// The most renditions a receipt may list (`SegmentReceipt.MAX_RENDITIONS`).
pub const MAX_RENDITIONS: usize = 32;

/// `keccak256("CommitteeVerdict(uint256 challengeId,bytes32 receiptDigest,bool fault)")`.
pub const VERDICT_TYPEHASH: B256 =
    alloy::primitives::b256!("16fe0cbf71087dcf7bce7ef1c7bac41bf48965ef58039bfea52b6afce6c9a762");

/// The EIP-712 domain receipts are signed under: the FaultVerifier proxy at `fault_verifier`.
pub fn fault_verifier_domain(chain_id: u64, fault_verifier: Address) -> Domain {
    Domain::new("Streamflow FaultVerifier", "1", chain_id, fault_verifier)
}

/// The EIP-712 domain committee verdicts are signed under: the CommitteeVerifier proxy.
pub fn committee_domain(chain_id: u64, committee_verifier: Address) -> Domain {
    Domain::new(
        "Streamflow CommitteeVerifier",
        "1",
        chain_id,
        committee_verifier,
    )
}

/// One output rendition of a segment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Rendition {
    /// Profile identifier, e.g. `keccak256("720p30 H264 3000kbps")`.
    pub profile: B256,
    /// Hash of the rendition's output bytes.
    pub output_hash: B256,
    /// Pixels encoded (width × height × frames).
    pub pixels: u64,
}

impl Rendition {
    /// `keccak256(abi.encode(RENDITION_TYPEHASH, profile, outputHash, pixels))`.
    pub fn struct_hash(&self) -> B256 {
        let mut buf = [0u8; 128];
        buf[..32].copy_from_slice(RENDITION_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(self.profile.as_slice());
        buf[64..96].copy_from_slice(self.output_hash.as_slice());
        buf[120..128].copy_from_slice(&self.pixels.to_be_bytes());
        keccak256(buf)
    }
}

/// The parameters of the ticket that paid for the segment (the receipt's `TicketParams`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct TicketParams {
    /// The ticket's face value.
    pub face_value: U256,
    /// The ticket's win probability.
    pub win_prob: U256,
    /// The ticket's sender nonce.
    pub sender_nonce: U256,
    /// The ticket's `recipientRandHash`.
    pub recipient_rand_hash: B256,
    /// The ticket's creation round; the challenge window counts from it.
    pub creation_round: U256,
}

impl From<&Ticket> for TicketParams {
    fn from(t: &Ticket) -> Self {
        Self {
            face_value: U256::from(t.face_value),
            win_prob: t.win_prob,
            sender_nonce: U256::from(t.sender_nonce),
            recipient_rand_hash: t.recipient_rand_hash,
            creation_round: U256::from(t.creation_round),
        }
    }
}

impl TicketParams {
    /// `keccak256(abi.encode(TICKET_PARAMS_TYPEHASH, fields...))`.
    pub fn struct_hash(&self) -> B256 {
        let mut buf = [0u8; 192];
        buf[..32].copy_from_slice(TICKET_PARAMS_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(&self.face_value.to_be_bytes::<32>());
        buf[64..96].copy_from_slice(&self.win_prob.to_be_bytes::<32>());
        buf[96..128].copy_from_slice(&self.sender_nonce.to_be_bytes::<32>());
        buf[128..160].copy_from_slice(self.recipient_rand_hash.as_slice());
        buf[160..192].copy_from_slice(&self.creation_round.to_be_bytes::<32>());
        keccak256(buf)
    }
}

/// What an orchestrator claims about one segment it transcoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentReceipt {
    /// The broadcaster that sent the segment.
    pub broadcaster: Address,
    /// The orchestrator that returned it; the signer.
    pub orchestrator: Address,
    /// The broadcaster's job or stream id.
    pub stream_id: B256,
    /// The segment's sequence number in the stream.
    pub seq_no: U256,
    /// Hash of the input segment's bytes.
    pub input_hash: B256,
    /// The service performed, e.g. `keccak256("H264 1080p->720p")`.
    pub service_id: B256,
    /// The outputs, in the signed order (at most [`MAX_RENDITIONS`]).
    pub renditions: Vec<Rendition>,
    /// The ticket that paid for the segment.
    pub ticket: TicketParams,
}

impl SegmentReceipt {
    /// The EIP-712 `hashStruct`, or the FaultVerifier's `TooManyRenditions` for more than
    /// [`MAX_RENDITIONS`] renditions (the contract refuses to hash those).
    pub fn struct_hash(&self) -> Result<B256, FaultVerifier::TooManyRenditions> {
        let n = self.renditions.len();
        if n > MAX_RENDITIONS {
            return Err(FaultVerifier::TooManyRenditions {
                count: U256::from(n),
                max: U256::from(MAX_RENDITIONS),
            });
        }
        let mut hashes = Vec::with_capacity(32 * n);
        for r in &self.renditions {
            hashes.extend_from_slice(r.struct_hash().as_slice());
        }
        let mut buf = [0u8; 9 * 32];
        buf[..32].copy_from_slice(RECEIPT_TYPEHASH.as_slice());
        buf[44..64].copy_from_slice(self.broadcaster.as_slice());
        buf[76..96].copy_from_slice(self.orchestrator.as_slice());
        buf[96..128].copy_from_slice(self.stream_id.as_slice());
        buf[128..160].copy_from_slice(&self.seq_no.to_be_bytes::<32>());
        buf[160..192].copy_from_slice(self.input_hash.as_slice());
        buf[192..224].copy_from_slice(self.service_id.as_slice());
        buf[224..256].copy_from_slice(keccak256(&hashes).as_slice());
        buf[256..288].copy_from_slice(self.ticket.struct_hash().as_slice());
        Ok(keccak256(buf))
    }

    /// The digest the orchestrator signs (the FaultVerifier's `receiptDigest`), under the domain
    /// whose separator is given (see [`fault_verifier_domain`]).
    pub fn digest(
        &self,
        domain_separator: &B256,
    ) -> Result<B256, FaultVerifier::TooManyRenditions> {
        Ok(eip712::typed_data_hash(
            domain_separator,
            &self.struct_hash()?,
        ))
    }

    /// Signs the receipt: 65 bytes, low-s, `v ∈ {27, 28}`. The signer should be `orchestrator`.
    pub fn sign(
        &self,
        domain_separator: &B256,
        signer: &LocalSigner,
    ) -> Result<Signature, FaultVerifier::TooManyRenditions> {
        Ok(signer.sign_digest(&self.digest(domain_separator)?))
    }

    /// `keccak256(abi.encode(orchestrator, broadcaster, streamId, seqNo))`: the segment's identity,
    /// challengeable once.
    pub fn segment_key(&self) -> B256 {
        let mut buf = [0u8; 128];
        buf[12..32].copy_from_slice(self.orchestrator.as_slice());
        buf[44..64].copy_from_slice(self.broadcaster.as_slice());
        buf[64..96].copy_from_slice(self.stream_id.as_slice());
        buf[96..128].copy_from_slice(&self.seq_no.to_be_bytes::<32>());
        keccak256(buf)
    }

    /// The receipt as the FaultVerifier's ABI type, to pass to `openChallenge` or `receiptDigest`.
    pub fn to_abi(&self) -> Abi::Receipt {
        Abi::Receipt {
            broadcaster: self.broadcaster,
            orchestrator: self.orchestrator,
            streamId: self.stream_id,
            seqNo: self.seq_no,
            inputHash: self.input_hash,
            serviceId: self.service_id,
            renditions: self
                .renditions
                .iter()
                .map(|r| Abi::Rendition {
                    profile: r.profile,
                    outputHash: r.output_hash,
                    pixels: r.pixels,
                })
                .collect(),
            ticket: Abi::TicketParams {
                faceValue: self.ticket.face_value,
                winProb: self.ticket.win_prob,
                senderNonce: self.ticket.sender_nonce,
                recipientRandHash: self.ticket.recipient_rand_hash,
                creationRound: self.ticket.creation_round,
            },
        }
    }
}

/// A committee member's verdict on a challenge (`CommitteeVerdict` in the CommitteeVerifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommitteeVerdict {
    /// The FaultVerifier's challenge id.
    pub challenge_id: U256,
    /// The digest of the challenged receipt (from `ReviewRequested`).
    pub receipt_digest: B256,
    /// Whether the segment is faulty.
    pub fault: bool,
}

impl CommitteeVerdict {
    /// `keccak256(abi.encode(VERDICT_TYPEHASH, challengeId, receiptDigest, fault))`.
    pub fn struct_hash(&self) -> B256 {
        let mut buf = [0u8; 128];
        buf[..32].copy_from_slice(VERDICT_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(&self.challenge_id.to_be_bytes::<32>());
        buf[64..96].copy_from_slice(self.receipt_digest.as_slice());
        buf[127] = u8::from(self.fault);
        keccak256(buf)
    }

    /// The digest members sign (the CommitteeVerifier's `verdictDigest`), under the domain whose
    /// separator is given (see [`committee_domain`]).
    pub fn digest(&self, domain_separator: &B256) -> B256 {
        eip712::typed_data_hash(domain_separator, &self.struct_hash())
    }

    /// The signatures of `members` in the order `submitVerdict` requires: signers strictly
    /// ascending by address (a member listed twice signs once).
    pub fn sign_by(&self, domain_separator: &B256, members: &[&LocalSigner]) -> Vec<Bytes> {
        let digest = self.digest(domain_separator);
        let mut members = members.to_vec();
        members.sort_by_key(|m| m.address());
        members.dedup_by_key(|m| m.address());
        members
            .iter()
            .map(|m| Bytes::copy_from_slice(&m.sign_digest(&digest)))
            .collect()
    }
}
