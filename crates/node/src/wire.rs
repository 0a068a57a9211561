//! The orchestrator's HTTP API (version [`API_VERSION`]), as broadcasters and tools speak it.
//!
//! | method and path | request | answer |
//! |---|---|---|
//! | `GET /v1/info` | — | [`OrchestratorInfo`] |
//! | `POST /v1/quote` | [`QuoteRequest`] (JSON) | [`Quote`] |
//! | `POST /v1/segment` | headers [`HEADER_JOB`] and [`HEADER_PAYMENT`], body: the segment | [`SegmentResult`] |
//! | `GET /v1/renditions/{outputHash}` | — | a rendition's bytes, content-addressed |
//! | `GET /v1/sources/{inputHash}` | — | a source segment's bytes, content-addressed |
//!
//! Every refusal is an HTTP error status with an [`ApiError`] body whose [`ErrorKind`] tells the
//! client what to do. The job and the payment travel in headers (base64url of their JSON, see
//! [`encode_header`]) so that the orchestrator can check the payment, the service and the declared
//! size **before it reads the body**: nothing is transcoded, or even received, for an unpaid or
//! invalid request.
//!
//! Bytes are `0x`-hex strings, integers of more than 53 bits are decimal strings (alloy's serde), and
//! field names are camelCase.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use streamflow_protocol::receipt::SegmentReceipt;
use streamflow_transcoder::Profile;

/// The API version in every path.
pub const API_VERSION: &str = "v1";
/// Header carrying the base64url JSON of a [`SegmentJob`].
pub const HEADER_JOB: &str = "streamflow-job";
/// Header carrying the base64url JSON of a [`Payment`].
pub const HEADER_PAYMENT: &str = "streamflow-payment";
/// The only segment container accepted today.
pub const FORMAT_MPEGTS: &str = "mpegts";

/// A price per pixel as a fraction, `wei_per_unit / pixels_per_unit` (go-livepeer's `PriceInfo`),
/// so that sub-wei prices per pixel are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// Wei per unit.
    pub wei_per_unit: U256,
    /// Pixels per unit (never zero).
    pub pixels_per_unit: u64,
}

impl Price {
    /// What `pixels` cost at this price, rounded up to the wei; `None` for a zero unit.
    pub fn fee_for(&self, pixels: u64) -> Option<U256> {
        if self.pixels_per_unit == 0 {
            return None;
        }
        let num = self.wei_per_unit.checked_mul(U256::from(pixels))?;
        let den = U256::from(self.pixels_per_unit);
        Some(num.div_ceil(den))
    }
}

/// A service an orchestrator offers, as it answers `GET /v1/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOffer {
    /// The service id registered in the ServiceRegistry.
    pub service_id: B256,
    /// A human-readable name, e.g. `h264-abr`.
    pub name: String,
    /// The verification function named for it on chain (zero: none).
    pub verifier: Address,
    /// Its price.
    pub price: Price,
}

/// `GET /v1/info`: who this orchestrator is and what it offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrchestratorInfo {
    /// The orchestrator's address (receipts' signer, tickets' recipient).
    pub address: Address,
    /// Chain id of its deployment.
    pub chain_id: u64,
    /// API version, [`API_VERSION`].
    pub api_version: String,
    /// Software version.
    pub node_version: String,
    /// Regions it serves.
    pub regions: Vec<B256>,
    /// Services it offers.
    pub services: Vec<ServiceOffer>,
}

/// `POST /v1/quote`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteRequest {
    /// The broadcaster (the tickets' sender).
    pub sender: Address,
    /// The service wanted.
    pub service_id: B256,
    /// The region wanted, if any.
    #[serde(default)]
    pub region: Option<B256>,
}

/// How busy an orchestrator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capacity {
    /// Segments it can transcode at once (all its workers' slots).
    pub slots: u32,
    /// Segments in progress now.
    pub in_flight: u32,
}

/// The answer to a quote: the price, fresh ticket parameters, and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The orchestrator.
    pub orchestrator: Address,
    /// The service quoted.
    pub service_id: B256,
    /// Price per pixel of output.
    pub price: Price,
    /// Ticket parameters to make this sender's tickets with (valid until their `expirationBlock`).
    pub ticket_params: streamflow_keeper::TicketParams,
    /// Segment containers accepted ([`FORMAT_MPEGTS`]).
    pub input_formats: Vec<String>,
    /// The largest segment body accepted, in bytes.
    pub max_segment_bytes: u64,
    /// The longest segment accepted, in milliseconds.
    pub max_segment_ms: u64,
    /// Current capacity.
    pub capacity: Capacity,
    /// The sender's credit here: expected value received minus the price of work done (wei; negative
    /// when it owes).
    pub balance: alloy::primitives::I256,
}

/// The job of one segment: what to do with the body of `POST /v1/segment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentJob {
    /// The broadcaster's stream id (goes into the receipt).
    pub stream_id: B256,
    /// The segment's sequence number in the stream.
    pub seq_no: u64,
    /// The service asked for.
    pub service_id: B256,
    /// `keccak256` of the body: checked on receipt, signed in the receipt.
    pub input_hash: B256,
    /// The body's length in bytes (checked before reading it).
    pub size: u64,
    /// The body's container ([`FORMAT_MPEGTS`]).
    pub format: String,
    /// The renditions wanted, in the order they are signed.
    pub profiles: Vec<Profile>,
}

/// The payment sent with a segment: tickets made with the quoted parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// The sender (must be every ticket's sender, and the receipt's broadcaster).
    pub sender: Address,
    /// The seed of the ticket parameters used ([`streamflow_keeper::TicketParams::seed`]).
    pub seed: B256,
    /// Packed signed tickets (257 bytes each; `recipientRand` is left zero by the sender).
    pub tickets: Vec<Bytes>,
}

/// One rendition of a transcoded segment, as returned to the broadcaster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenditionResult {
    /// The profile's name.
    pub name: String,
    /// [`profile_id`] of the profile (the receipt's `profile`).
    pub profile_id: B256,
    /// Encoded width.
    pub width: u32,
    /// Encoded height.
    pub height: u32,
    /// Encoded frames.
    pub frames: u64,
    /// Pixels encoded (the receipt's `pixels`).
    pub pixels: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// `keccak256` of the bytes (the receipt's `outputHash`).
    pub output_hash: B256,
    /// Where to fetch it: `/v1/renditions/{outputHash}` on the same orchestrator.
    pub path: String,
}

/// A receipt with the orchestrator's EIP-712 signature (65 bytes, `r ‖ s ‖ v`) under the
/// FaultVerifier's domain: the evidence a challenge needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedReceipt {
    /// The receipt, exactly as the contract hashes it.
    pub receipt: SegmentReceipt,
    /// The orchestrator's signature over its digest.
    pub signature: Bytes,
}

/// The sender's account with an orchestrator after a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// Expected value of the tickets received with this segment (wei).
    pub received: U256,
    /// The price of this segment's work (wei).
    pub charged: U256,
    /// The credit left (wei; negative when the sender owes).
    pub credit: alloy::primitives::I256,
}

/// `POST /v1/segment` succeeded: the renditions, their accounting, and the signed receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentResult {
    /// The renditions, in the job's profile order (rungs above the source are skipped and absent).
    pub renditions: Vec<RenditionResult>,
    /// The signed receipt over exactly these renditions.
    pub receipt: SignedReceipt,
    /// The sender's account after this segment.
    pub balance: Balance,
    /// Winning tickets among those paid with this segment (stored by the keeper, to be redeemed).
    pub winning_tickets: u32,
    /// Milliseconds spent transcoding.
    pub transcode_ms: u64,
}

/// What went wrong, in terms a client can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The sender's deposit and reserve can't cover a winning ticket: fund it, or stop.
    LowPMBalance,
    /// The tickets' expected value doesn't cover the price of the work: send more tickets.
    InsufficientPayment,
    /// The ticket parameters are expired or unknown here: ask for a new quote.
    TicketParamsExpired,
    /// A ticket is malformed, replayed, for another recipient, or the contract would refuse it.
    InvalidTicket,
    /// The body is not the declared container, or doesn't match the job's hash or size.
    SegmentFormatDidntMatchJobInputParams,
    /// No transcoding slot is free: retry later or elsewhere.
    CapacityExceeded,
    /// The segment is larger or longer than the orchestrator accepts.
    TooLarge,
    /// The orchestrator doesn't offer this service (or region).
    UnknownService,
    /// The request is malformed (missing header, bad JSON, bad profile).
    BadRequest,
    /// The sender is unlocking its funds: it is not served.
    SenderUnlocking,
    /// The orchestrator isn't synced with the chain yet: retry shortly.
    NotSynced,
    /// Transcoding failed (the segment may be corrupt).
    TranscodeFailed,
    /// A worker's shared secret is wrong.
    Unauthorized,
    /// Anything else (the orchestrator's fault).
    Internal,
    /// The content asked for is not kept (unknown, or older than the retention period).
    NotFound,
}

impl ErrorKind {
    /// The HTTP status this error is sent with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::LowPMBalance | ErrorKind::InsufficientPayment => 402,
            ErrorKind::TicketParamsExpired => 409,
            ErrorKind::InvalidTicket
            | ErrorKind::BadRequest
            | ErrorKind::SegmentFormatDidntMatchJobInputParams => 400,
            ErrorKind::CapacityExceeded | ErrorKind::NotSynced => 503,
            ErrorKind::TooLarge => 413,
            ErrorKind::UnknownService | ErrorKind::NotFound => 404,
            ErrorKind::SenderUnlocking => 403,
            ErrorKind::TranscodeFailed => 422,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Internal => 500,
        }
    }

    /// Whether the same request may succeed if sent again later unchanged.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::CapacityExceeded | ErrorKind::NotSynced | ErrorKind::Internal
        )
    }
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{kind:?}: {message}")]
pub struct ApiError {
    /// What kind of error, for the client's logic.
    #[serde(rename = "error")]
    pub kind: ErrorKind,
    /// What happened, for a human.
    pub message: String,
    /// For `CapacityExceeded` and `NotSynced`: when to retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after_ms: None,
        }
    }
}

/// Why a header couldn't be decoded.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// Not base64url.
    #[error("header is not base64url: {0}")]
    Base64(#[from] base64::DecodeError),
    /// Not the expected JSON.
    #[error("header is not the expected JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Encodes a header value: base64url (no padding) of the JSON.
pub fn encode_header<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let json = serde_json::to_vec(value)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

/// Decodes a header value made by [`encode_header`].
pub fn decode_header<T: for<'de> Deserialize<'de>>(value: &str) -> Result<T, HeaderError> {
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value.trim())?;
    Ok(serde_json::from_slice(&json)?)
}

/// The identifier of a profile in receipts: `keccak256` of its canonical JSON (field order as
/// declared, defaults filled in), so broadcaster and orchestrator derive the same id.
pub fn profile_id(profile: &Profile) -> B256 {
    // Serialising a plain struct of numbers, strings and enums cannot fail.
    let json = serde_json::to_vec(profile).unwrap_or_default();
    keccak256(json)
}

/// `keccak256` of a segment's or rendition's bytes (the receipt's `inputHash` / `outputHash`).
pub fn content_hash(bytes: &[u8]) -> B256 {
    keccak256(bytes)
}

/// `keccak256(name)`: the service id for a service name (e.g. `h264-abr`), as registered on chain.
pub fn service_id(name: &str) -> B256 {
    keccak256(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounds_up_to_the_wei() {
        let p = Price {
            wei_per_unit: U256::from(7u64),
            pixels_per_unit: 3,
        };
        assert_eq!(p.fee_for(3), Some(U256::from(7u64)));
        assert_eq!(p.fee_for(4), Some(U256::from(10u64))); // 28/3 = 9.33 → 10
        assert_eq!(p.fee_for(0), Some(U256::ZERO));
        let zero = Price {
            wei_per_unit: U256::from(1u64),
            pixels_per_unit: 0,
        };
        assert_eq!(zero.fee_for(1), None);
    }

    #[test]
    fn headers_round_trip_and_reject_garbage() {
        let pay = Payment {
            sender: Address::repeat_byte(1),
            seed: B256::repeat_byte(2),
            tickets: vec![Bytes::from(vec![3u8; 257])],
        };
        let h = encode_header(&pay).expect("encode");
        assert!(!h.contains('=') && !h.contains('+') && !h.contains('/'));
        let back: Payment = decode_header(&h).expect("decode");
        assert_eq!(back, pay);
        assert!(matches!(
            decode_header::<Payment>("!!!"),
            Err(HeaderError::Base64(_))
        ));
        let not_payment = encode_header(&serde_json::json!({"x": 1})).expect("encode");
        assert!(matches!(
            decode_header::<Payment>(&not_payment),
            Err(HeaderError::Json(_))
        ));
    }

    #[test]
    fn profile_ids_differ_by_any_field() {
        let a = Profile::preset("360p").expect("preset");
        let mut b = a.clone();
        b.bitrate += 1;
        assert_ne!(profile_id(&a), profile_id(&b));
        assert_eq!(profile_id(&a), profile_id(&a.clone()));
    }

    #[test]
    fn error_body_uses_error_field() {
        let e = ApiError::new(ErrorKind::LowPMBalance, "fund it");
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(v["error"], "LowPMBalance");
        assert_eq!(e.kind.status(), 402);
        let back: ApiError = serde_json::from_value(v).expect("back");
        assert_eq!(back, e);
    }
}
