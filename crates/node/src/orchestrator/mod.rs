//! The orchestrator role: the HTTP service of [`crate::wire`] over an embedded ticket keeper
//! (`streamflow-keeper`), a transcoder [`Pool`] and a content-addressed store, plus the operator
//! commands ([`cli`]: `register`, `status`, `run`).
//!
//! A paid segment goes through [`Orchestrator::admit`] using its headers alone — service offered,
//! declared size within the limit, a pool slot, every ticket accepted by the keeper, the sender's
//! balance holding the segment's worst-case price ([`ledger`]) — and only then is its body read
//! (never more than the declared size), checked (hash, MPEG-TS, probe limits), transcoded in the
//! reserved slot, charged for the actual pixels, stored for the retention period, and answered with
//! the renditions and a signed [`SegmentReceipt`] ([`Orchestrator::complete`]).
//!
//! The receipt's `ticket` is the **first** ticket of the segment's payment (every segment carries at
//! least one ticket).

pub mod chain;
pub mod cli;
pub mod content;
pub mod ledger;
pub mod metrics;
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, Bytes, U256};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use streamflow_keeper::keeper::ParamsError;
use streamflow_keeper::{Keeper, Rejection, Submission};
use streamflow_protocol::LocalSigner;
use streamflow_protocol::receipt::{self, Rendition, SegmentReceipt};
use streamflow_protocol::ticket::SignedTicket;
use streamflow_transcoder::Profile;
use streamflow_transcoder::decode::Limits;

use crate::pool::{Pool, Slot, TranscodeJob};
use crate::wire::{
    self, API_VERSION, ApiError, Balance, ErrorKind, FORMAT_MPEGTS, HEADER_JOB, HEADER_PAYMENT,
    OrchestratorInfo, Payment, Quote, QuoteRequest, RenditionResult, SegmentJob, SegmentResult,
    ServiceOffer, SignedReceipt,
};
use content::{ContentStore, Kind};
use ledger::{Hold, Ledger};
use metrics::Metrics;

/// Most tickets one segment's payment may carry.
pub const MAX_TICKETS_PER_SEGMENT: usize = 64;
/// How long a client may take to send a segment's body once admitted.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// What this orchestrator offers and accepts.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Chain id of the deployment.
    pub chain_id: u64,
    /// The FaultVerifier proxy (the receipts' EIP-712 domain).
    pub fault_verifier: Address,
    /// Services offered, with their prices.
    pub services: Vec<ServiceOffer>,
    /// Regions served (empty: any region asked is accepted).
    pub regions: Vec<B256>,
    /// Largest segment body accepted, bytes.
    pub max_segment_bytes: u64,
    /// Longest segment accepted, milliseconds.
    pub max_segment_ms: u64,
    /// Highest source frame rate accepted (frames per second); bounds the worst-case pixels of a
    /// rung that passes the source's rate through.
    pub max_fps: u32,
}

impl Settings {
    /// The offer for `service_id`, if this orchestrator offers it.
    pub fn service(&self, service_id: &B256) -> Option<&ServiceOffer> {
        self.services.iter().find(|s| &s.service_id == service_id)
    }
}

/// The most pixels `profiles` can encode from a segment within the limits: for each rung its
/// bounding box × the frames its rate can make in `max_segment_ms` (the rung's own rate, or
/// `max_fps` when it passes the source's rate through), plus one frame.
pub fn worst_case_pixels(profiles: &[Profile], max_segment_ms: u64, max_fps: u32) -> u64 {
    profiles
        .iter()
        .map(|p| {
            let (num, den) = if p.fps > 0 {
                (u64::from(p.fps), u64::from(p.fps_den.max(1)))
            } else {
                (u64::from(max_fps), 1)
            };
            let frames =
                (num.saturating_mul(max_segment_ms)).div_ceil(den.saturating_mul(1000)) + 1;
            u64::from(p.width)
                .saturating_mul(u64::from(p.height))
                .saturating_mul(frames)
        })
        .fold(0u64, u64::saturating_add)
}

struct Inner {
    keeper: Keeper,
    pool: Pool,
    signer: LocalSigner,
    receipt_domain: B256,
    settings: Settings,
    store: ContentStore,
    ledger: Ledger,
    metrics: Metrics,
}

/// The orchestrator service's state (cheap to clone).
#[derive(Clone)]
pub struct Orchestrator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orchestrator")
            .field("address", &self.inner.signer.address())
            .finish_non_exhaustive()
    }
}

/// A segment whose payment was accepted and whose worst case is held: the next step is reading its
/// body and [`Orchestrator::complete`].
#[derive(Debug)]
pub struct Admitted {
    job: SegmentJob,
    sender: Address,
    price: wire::Price,
    first_ticket: receipt::TicketParams,
    received: U256,
    winning: u32,
    slot: Slot,
    hold: Hold,
}

impl Admitted {
    /// The job.
    pub fn job(&self) -> &SegmentJob {
        &self.job
    }
}

fn err(kind: ErrorKind, message: impl Into<String>) -> ApiError {
    let mut e = ApiError::new(kind, message);
    e.retry_after_ms = match kind {
        ErrorKind::CapacityExceeded => Some(500),
        ErrorKind::NotSynced => Some(2_000),
        _ => None,
    };
    e
}

/// The API error for a keeper refusal.
pub fn rejection_error(r: &Rejection) -> ApiError {
    use streamflow_bindings::contracts::TicketBroker::TicketBrokerErrors as E;
    let kind = match r {
        Rejection::Malformed(_) | Rejection::NonceReplayed { .. } | Rejection::Duplicate(_) => {
            ErrorKind::InvalidTicket
        }
        Rejection::Contract(c) => match c.error() {
            E::TicketExpired(_)
            | E::FutureCreationRound(_)
            | E::UnknownCreationRound(_)
            | E::CreationRoundBlockHashMismatch(_)
            | E::InvalidRecipientRand(_) => ErrorKind::TicketParamsExpired,
            E::InsufficientFunds(_) => ErrorKind::LowPMBalance,
            E::SenderUnlocked(_) => ErrorKind::SenderUnlocking,
            E::RecipientNotActive(_) => ErrorKind::Internal,
            _ => ErrorKind::InvalidTicket,
        },
        Rejection::RandRevealed(_) => ErrorKind::TicketParamsExpired,
        Rejection::SenderUnlocking { .. } => ErrorKind::SenderUnlocking,
        Rejection::LowPMBalance { .. } => ErrorKind::LowPMBalance,
        Rejection::NotSynced => ErrorKind::NotSynced,
        Rejection::Storage(_) => ErrorKind::Internal,
    };
    err(kind, r.to_string())
}

/// Whether `body` is an MPEG transport stream: whole 188-byte packets, each starting with the sync
/// byte `0x47`.
pub fn is_mpegts(body: &[u8]) -> bool {
    !body.is_empty() && body.len().is_multiple_of(188) && body.chunks(188).all(|p| p[0] == 0x47)
}

impl Orchestrator {
    /// The service over `keeper` (its recipient must be `signer`'s address), `pool` and `store`,
    /// with balances in memory only.
    pub fn new(
        keeper: Keeper,
        pool: Pool,
        signer: LocalSigner,
        store: ContentStore,
        settings: Settings,
    ) -> Self {
        Self::with_ledger(keeper, pool, signer, store, settings, Ledger::default())
    }

    /// Like [`Orchestrator::new`], with the senders' balances in `ledger` (e.g. one
    /// [`Ledger::open`]ed on the node's database, so they survive a restart).
    pub fn with_ledger(
        keeper: Keeper,
        pool: Pool,
        signer: LocalSigner,
        store: ContentStore,
        settings: Settings,
        ledger: Ledger,
    ) -> Self {
        let receipt_domain =
            receipt::fault_verifier_domain(settings.chain_id, settings.fault_verifier).separator();
        Self {
            inner: Arc::new(Inner {
                keeper,
                pool,
                signer,
                receipt_domain,
                settings,
                store,
                ledger,
                metrics: Metrics::default(),
            }),
        }
    }

    /// The orchestrator's address.
    pub fn address(&self) -> Address {
        self.inner.signer.address()
    }

    /// Its counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The per-sender balances.
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// The embedded keeper.
    pub fn keeper(&self) -> &Keeper {
        &self.inner.keeper
    }

    /// The content store.
    pub fn store(&self) -> &ContentStore {
        &self.inner.store
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// `GET /v1/info`.
    pub fn info(&self) -> OrchestratorInfo {
        OrchestratorInfo {
            address: self.address(),
            chain_id: self.inner.settings.chain_id,
            api_version: API_VERSION.into(),
            node_version: env!("CARGO_PKG_VERSION").into(),
            regions: self.inner.settings.regions.clone(),
            services: self.inner.settings.services.clone(),
        }
    }

    fn offer(&self, service_id: &B256) -> Result<&ServiceOffer, ApiError> {
        self.inner.settings.service(service_id).ok_or_else(|| {
            err(
                ErrorKind::UnknownService,
                format!("service {service_id} is not offered here"),
            )
        })
    }

    /// `POST /v1/quote`: the price, fresh ticket parameters for the sender, limits, capacity and
    /// the sender's balance; refuses services (and regions) not offered.
    pub async fn quote(&self, req: &QuoteRequest) -> Result<Quote, ApiError> {
        let s = &self.inner.settings;
        let offer = self.offer(&req.service_id)?;
        if let Some(region) = req.region
            && !s.regions.is_empty()
            && !s.regions.contains(&region)
        {
            return Err(err(
                ErrorKind::UnknownService,
                format!("region {region} is not served here"),
            ));
        }
        let params = self
            .inner
            .keeper
            .params_for(req.sender)
            .await
            .map_err(|e| {
                let kind = match e {
                    ParamsError::NotSynced | ParamsError::Chain(_) => ErrorKind::NotSynced,
                    ParamsError::SenderUnlocking(_) => ErrorKind::SenderUnlocking,
                    ParamsError::LowPMBalance(_) => ErrorKind::LowPMBalance,
                    ParamsError::Store(_) => ErrorKind::Internal,
                };
                err(kind, e.to_string())
            })?;
        Metrics::inc(&self.inner.metrics.quotes);
        Ok(Quote {
            orchestrator: self.address(),
            service_id: offer.service_id,
            price: offer.price,
            ticket_params: params,
            input_formats: vec![FORMAT_MPEGTS.into()],
            max_segment_bytes: s.max_segment_bytes,
            max_segment_ms: s.max_segment_ms,
            capacity: self.inner.pool.capacity(),
            balance: self.inner.ledger.balance(req.sender),
        })
    }

    /// The checks made on a segment's headers, before its body is read: service, format, profiles
    /// and declared size; a pool slot; the payment (every ticket through the keeper); the sender's
    /// balance holding the worst-case price. Nothing is transcoded or read for a refusal.
    pub async fn admit(&self, job: SegmentJob, payment: Payment) -> Result<Admitted, ApiError> {
        let s = &self.inner.settings;
        let offer = self.offer(&job.service_id)?;
        let price = offer.price;
        if job.format != FORMAT_MPEGTS {
            return Err(err(
                ErrorKind::SegmentFormatDidntMatchJobInputParams,
                format!(
                    "format {:?} is not accepted (only {FORMAT_MPEGTS})",
                    job.format
                ),
            ));
        }
        if job.size > s.max_segment_bytes {
            return Err(err(
                ErrorKind::TooLarge,
                format!(
                    "segment of {} bytes, the limit is {}",
                    job.size, s.max_segment_bytes
                ),
            ));
        }
        if job.size == 0 {
            return Err(err(
                ErrorKind::SegmentFormatDidntMatchJobInputParams,
                "empty segment",
            ));
        }
        check_profiles(&job.profiles)?;
        let slot = self
            .inner
            .pool
            .reserve()
            .map_err(|e| err(e.error_kind(), e.to_string()))?;
        // Decode every ticket before the keeper sees any: a malformed payment changes nothing.
        if payment.tickets.is_empty() {
            return Err(err(
                ErrorKind::InsufficientPayment,
                "a segment carries at least one ticket (its receipt names the first)",
            ));
        }
        if payment.tickets.len() > MAX_TICKETS_PER_SEGMENT {
            return Err(err(
                ErrorKind::BadRequest,
                format!(
                    "{} tickets, at most {MAX_TICKETS_PER_SEGMENT} per segment",
                    payment.tickets.len()
                ),
            ));
        }
        let mut tickets = Vec::with_capacity(payment.tickets.len());
        for (i, packed) in payment.tickets.iter().enumerate() {
            let t = SignedTicket::unpack(packed)
                .map_err(|e| err(ErrorKind::InvalidTicket, format!("ticket {i}: {e}")))?;
            if t.ticket.sender != payment.sender {
                return Err(err(
                    ErrorKind::InvalidTicket,
                    format!(
                        "ticket {i} is from {}, the payment from {}",
                        t.ticket.sender, payment.sender
                    ),
                ));
            }
            tickets.push(t);
        }
        let first_ticket = receipt::TicketParams::from(&tickets[0].ticket);
        let (mut received, mut winning) = (U256::ZERO, 0u32);
        for (i, (packed, t)) in payment.tickets.iter().zip(&tickets).enumerate() {
            let sub = Submission {
                packed: packed.to_vec(),
                seed: payment.seed,
            };
            let ack = self.inner.keeper.submit(&sub).await.map_err(|r| {
                let mut e = rejection_error(&r);
                e.message = format!("ticket {i}: {}", e.message);
                e
            })?;
            // Accepted: its expected value is the sender's, whatever happens to this segment.
            let ev = ledger::expected_value(t.ticket.face_value, t.ticket.win_prob);
            self.inner.ledger.credit(payment.sender, ev);
            received = received.saturating_add(ev);
            Metrics::inc(&self.inner.metrics.tickets_accepted);
            if ack.winning {
                winning += 1;
                Metrics::inc(&self.inner.metrics.tickets_won);
            }
        }
        let worst = worst_case_pixels(&job.profiles, s.max_segment_ms, s.max_fps);
        let needed = price
            .fee_for(worst)
            .ok_or_else(|| err(ErrorKind::Internal, "the configured price has a zero unit"))?;
        let hold = self
            .inner
            .ledger
            .hold(payment.sender, needed)
            .map_err(|short| {
                err(
                    ErrorKind::InsufficientPayment,
                    format!("up to {worst} pixels at the quoted price: {short}"),
                )
            })?;
        Ok(Admitted {
            job,
            sender: payment.sender,
            price,
            first_ticket,
            received,
            winning,
            slot,
            hold,
        })
    }

    /// Checks the body of an admitted segment (hash, MPEG-TS, probe within the limits), transcodes
    /// it in its slot, charges the actual pixels, stores source and renditions, and signs the
    /// receipt.
    pub async fn complete(
        &self,
        admitted: Admitted,
        body: Vec<u8>,
    ) -> Result<SegmentResult, ApiError> {
        let s = &self.inner.settings;
        let Admitted {
            job,
            sender,
            price,
            first_ticket,
            received,
            winning,
            slot,
            hold,
        } = admitted;
        let mismatch = |m: String| err(ErrorKind::SegmentFormatDidntMatchJobInputParams, m);
        if body.len() as u64 != job.size {
            return Err(mismatch(format!(
                "body of {} bytes, the job declares {}",
                body.len(),
                job.size
            )));
        }
        let input_hash = wire::content_hash(&body);
        if input_hash != job.input_hash {
            return Err(mismatch(format!(
                "body hashes to {input_hash}, the job declares {}",
                job.input_hash
            )));
        }
        if !is_mpegts(&body) {
            return Err(mismatch("the body is not an MPEG transport stream".into()));
        }
        let body = Arc::new(body);
        let limits = Limits {
            max_bytes: s.max_segment_bytes,
            max_duration_secs: s.max_segment_ms as f64 / 1000.0,
            ..Limits::default()
        };
        let probe_body = body.clone();
        let probed = tokio::task::spawn_blocking(move || probe_bytes(&probe_body, &limits))
            .await
            .map_err(|e| err(ErrorKind::Internal, e.to_string()))?;
        let info = probed.map_err(|e| match e {
            ProbeError::Transcoder(streamflow_transcoder::TranscodeError::InputTooLong {
                ..
            }) => err(ErrorKind::TooLarge, e.to_string()),
            other => mismatch(other.to_string()),
        })?;
        if info.fps > f64::from(s.max_fps) + 0.5 {
            return Err(err(
                ErrorKind::TooLarge,
                format!(
                    "{:.2} frames per second, the limit is {}",
                    info.fps, s.max_fps
                ),
            ));
        }
        Metrics::inc(&self.inner.metrics.transcodes_started);
        let out = self
            .inner
            .pool
            .transcode(
                slot,
                TranscodeJob {
                    segment: body.clone(),
                    profiles: job.profiles.clone(),
                },
            )
            .await
            .map_err(|e| err(e.error_kind(), e.to_string()))?;
        let store = &self.inner.store;
        let io = |e: std::io::Error| err(ErrorKind::Internal, format!("storing: {e}"));
        let mut renditions = Vec::with_capacity(out.renditions.len());
        for r in &out.renditions {
            let profile = job
                .profiles
                .iter()
                .find(|p| p.name == r.report.name)
                .ok_or_else(|| {
                    err(
                        ErrorKind::Internal,
                        format!("the pool returned an unknown rendition {:?}", r.report.name),
                    )
                })?;
            let output_hash = wire::content_hash(&r.data);
            store
                .put(Kind::Rendition, &output_hash, &r.data)
                .map_err(io)?;
            renditions.push(RenditionResult {
                name: r.report.name.clone(),
                profile_id: wire::profile_id(profile),
                width: r.report.width,
                height: r.report.height,
                frames: r.report.frames,
                pixels: r.report.pixels,
                bytes: r.data.len() as u64,
                output_hash,
                path: format!("/{API_VERSION}/renditions/{output_hash}"),
            });
        }
        store.put(Kind::Source, &input_hash, &body).map_err(io)?;
        let pixels = renditions
            .iter()
            .fold(0u64, |a, r| a.saturating_add(r.pixels));
        let charged = price
            .fee_for(pixels)
            .ok_or_else(|| err(ErrorKind::Internal, "the configured price has a zero unit"))?;
        let receipt = SegmentReceipt {
            broadcaster: sender,
            orchestrator: self.address(),
            stream_id: job.stream_id,
            seq_no: U256::from(job.seq_no),
            input_hash,
            service_id: job.service_id,
            renditions: renditions
                .iter()
                .map(|r| Rendition {
                    profile: r.profile_id,
                    output_hash: r.output_hash,
                    pixels: r.pixels,
                })
                .collect(),
            ticket: first_ticket,
        };
        let signature = self.sign_receipt(&receipt)?;
        let credit = hold.settle(charged);
        Metrics::inc(&self.inner.metrics.segments_served);
        self.inner
            .metrics
            .pixels
            .fetch_add(pixels, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(target: "orchestrator", %sender, seq = job.seq_no, pixels, %charged, %credit, worker = %out.worker, ms = out.elapsed_ms, "segment served");
        Ok(SegmentResult {
            renditions,
            receipt: SignedReceipt { receipt, signature },
            balance: Balance {
                received,
                charged,
                credit,
            },
            winning_tickets: winning,
            transcode_ms: out.elapsed_ms,
        })
    }
}

impl Orchestrator {
    /// Signs `receipt` under the FaultVerifier's EIP-712 domain: 65 bytes, low-s, `v ∈ {27, 28}`.
    pub fn sign_receipt(&self, receipt: &SegmentReceipt) -> Result<Bytes, ApiError> {
        receipt
            .sign(&self.inner.receipt_domain, &self.inner.signer)
            .map(|s| Bytes::copy_from_slice(&s))
            .map_err(|e| err(ErrorKind::Internal, format!("{e:?}")))
    }
}

fn check_profiles(profiles: &[Profile]) -> Result<(), ApiError> {
    if profiles.is_empty() {
        return Err(err(ErrorKind::BadRequest, "no profile asked for"));
    }
    if profiles.len() > receipt::MAX_RENDITIONS {
        return Err(err(
            ErrorKind::BadRequest,
            format!(
                "{} profiles, at most {}",
                profiles.len(),
                receipt::MAX_RENDITIONS
            ),
        ));
    }
    for (i, p) in profiles.iter().enumerate() {
        p.validate()
            .map_err(|e| err(ErrorKind::BadRequest, format!("profile {i}: {e}")))?;
        if profiles[..i].iter().any(|q| q.name == p.name) {
            return Err(err(
                ErrorKind::BadRequest,
                format!("profile name {:?} is used twice", p.name),
            ));
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Transcoder(#[from] streamflow_transcoder::TranscodeError),
}

fn probe_bytes(
    body: &[u8],
    limits: &Limits,
) -> Result<streamflow_transcoder::probe::ProbeInfo, ProbeError> {
    let mut f = tempfile::Builder::new().suffix(".ts").tempfile()?;
    std::io::Write::write_all(&mut f, body)?;
    Ok(streamflow_transcoder::probe::probe(f.path(), limits)?)
}

/// An [`ApiError`] as an HTTP answer.
struct ApiResponse(ApiError);

impl IntoResponse for ApiResponse {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

impl Orchestrator {
    fn refuse(&self, e: ApiError) -> Response {
        self.inner.metrics.refused(e.kind);
        tracing::debug!(target: "orchestrator", kind = ?e.kind, message = %e.message, "refused");
        ApiResponse(e).into_response()
    }
}

fn header<T: for<'de> serde::Deserialize<'de>>(h: &HeaderMap, name: &str) -> Result<T, ApiError> {
    let v = h
        .get(name)
        .ok_or_else(|| err(ErrorKind::BadRequest, format!("missing header {name}")))?;
    let v = v
        .to_str()
        .map_err(|_| err(ErrorKind::BadRequest, format!("header {name} is not ASCII")))?;
    wire::decode_header(v).map_err(|e| err(ErrorKind::BadRequest, format!("header {name}: {e}")))
}

async fn info(State(o): State<Orchestrator>) -> Json<OrchestratorInfo> {
    Json(o.info())
}

async fn quote(State(o): State<Orchestrator>, body: axum::body::Bytes) -> Response {
    let req: QuoteRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return o.refuse(err(ErrorKind::BadRequest, format!("quote request: {e}"))),
    };
    match o.quote(&req).await {
        Ok(q) => Json(q).into_response(),
        Err(e) => o.refuse(e),
    }
}

async fn segment(State(o): State<Orchestrator>, req: Request) -> Response {
    Metrics::inc(&o.inner.metrics.segments_received);
    let (parts, body) = req.into_parts();
    let parsed = header::<SegmentJob>(&parts.headers, HEADER_JOB)
        .and_then(|j| Ok((j, header::<Payment>(&parts.headers, HEADER_PAYMENT)?)));
    let (job, payment) = match parsed {
        Ok(x) => x,
        Err(e) => return o.refuse(e),
    };
    let declared = job.size;
    let admitted = match o.admit(job, payment).await {
        Ok(a) => a,
        Err(e) => {
            // A refusal sent while the client is still uploading makes the connection close under
            // it, and the client sees a broken send instead of this error. So a body of acceptable
            // declared size is received and discarded — never parsed, stored or transcoded — within
            // a short deadline before the answer. Oversized declarations are not read at all.
            if e.kind != ErrorKind::TooLarge && declared <= o.inner.settings.max_segment_bytes {
                discard_body(&o, body, declared).await;
            }
            return o.refuse(e);
        }
    };
    // Only now is the body read, never past the declared size.
    let limit = usize::try_from(admitted.job.size).unwrap_or(usize::MAX);
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            return o.refuse(err(
                ErrorKind::SegmentFormatDidntMatchJobInputParams,
                format!("body longer than the declared {limit} bytes, or broken: {e}"),
            ));
        }
        Err(_) => {
            return o.refuse(err(
                ErrorKind::BadRequest,
                format!("body not received within {BODY_TIMEOUT:?}"),
            ));
        }
    };
    Metrics::inc(&o.inner.metrics.bodies_read);
    o.inner
        .metrics
        .body_bytes
        .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
    match o.complete(admitted, bytes.to_vec()).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => o.refuse(e),
    }
}

/// How long a refused segment's body is drained before the refusal is sent anyway.
const DISCARD_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads and drops at most `limit` bytes of a refused request's body (see [`segment`]).
async fn discard_body(o: &Orchestrator, body: axum::body::Body, limit: u64) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if let Ok(Ok(b)) =
        tokio::time::timeout(DISCARD_TIMEOUT, axum::body::to_bytes(body, limit)).await
    {
        o.inner
            .metrics
            .bytes_discarded
            .fetch_add(b.len() as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

async fn content(o: &Orchestrator, kind: Kind, hash: &str) -> Response {
    let Ok(hash) = hash.parse::<B256>() else {
        return o.refuse(err(
            ErrorKind::BadRequest,
            format!("{hash:?} is not a 32-byte hash"),
        ));
    };
    match o.inner.store.get(kind, &hash) {
        Ok(Some(bytes)) => ([("content-type", "video/mp2t")], bytes).into_response(),
        Ok(None) => o.refuse(err(
            ErrorKind::NotFound,
            format!("{hash} is not kept here (unknown, or older than the retention period)"),
        )),
        Err(e) => o.refuse(err(ErrorKind::Internal, e.to_string())),
    }
}

async fn rendition(State(o): State<Orchestrator>, Path(hash): Path<String>) -> Response {
    content(&o, Kind::Rendition, &hash).await
}

async fn source(State(o): State<Orchestrator>, Path(hash): Path<String>) -> Response {
    content(&o, Kind::Source, &hash).await
}

async fn metrics_text(State(o): State<Orchestrator>) -> Response {
    (
        [("content-type", "text/plain; version=0.0.4")],
        o.inner.metrics.render(o.inner.pool.capacity()),
    )
        .into_response()
}

/// The routes of [`crate::wire`] over `o`, `GET /metrics`, and the pool's worker routes
/// (`/v1/worker/*`, see [`crate::pool`]).
pub fn router(o: Orchestrator) -> Router {
    let workers = o.pool().worker_router();
    Router::new()
        .route("/v1/info", get(info))
        .route("/v1/quote", post(quote))
        .route("/v1/segment", post(segment))
        .route("/v1/renditions/{hash}", get(rendition))
        .route("/v1/sources/{hash}", get(source))
        .route("/metrics", get(metrics_text))
        .with_state(o)
        .merge(workers)
}

/// Serves [`router`] on `listener` until `shutdown` resolves (requests in progress finish).
pub async fn serve(
    o: Orchestrator,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(o))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_case_bounds_a_rung() {
        let p = Profile::preset("720p").expect("preset");
        // Source rate passed through: 30 fps × 2 s = 60 frames, +1.
        assert_eq!(
            worst_case_pixels(std::slice::from_ref(&p), 2_000, 30),
            1280 * 720 * 61
        );
        let mut fixed = p.clone();
        fixed.fps = 25;
        fixed.fps_den = 1;
        assert_eq!(worst_case_pixels(&[fixed], 2_000, 60), 1280 * 720 * 51);
        assert_eq!(
            worst_case_pixels(&[p.clone(), p], 1_000, 30),
            2 * 1280 * 720 * 31
        );
    }

    #[test]
    fn mpegts_is_recognised_by_its_packets() {
        let mut ts = vec![0u8; 188 * 3];
        for p in ts.chunks_mut(188) {
            p[0] = 0x47;
        }
        assert!(is_mpegts(&ts));
        assert!(!is_mpegts(&ts[..187]));
        ts[188] = 0;
        assert!(!is_mpegts(&ts));
        assert!(!is_mpegts(&[]));
    }
}
