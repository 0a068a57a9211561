//! One segment sent to one orchestrator: tickets, the errors it answers (pay more, re-quote,
//! skip nonces, low balance), and the renditions of a good answer fetched and hash-checked.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;

use super::Orch;
use crate::broadcaster::discovery::describe;
use crate::broadcaster::payment::{self, TicketMaker};
use crate::client::{ClientError, OrchestratorClient};
use crate::wire::{ErrorKind, QuoteRequest, SegmentJob, SegmentResult, content_hash};

/// What an attempt needs (owned: attempts run as tasks).
pub(super) struct AttemptInput {
    pub(super) index: usize,
    pub(super) orch: Orch,
    pub(super) maker: Arc<Mutex<TicketMaker>>,
    pub(super) provider: alloy::providers::DynProvider,
    pub(super) sender: Address,
    pub(super) job: SegmentJob,
    pub(super) body: Arc<Vec<u8>>,
    pub(super) estimated_pixels: u64,
    pub(super) timeout: Duration,
    pub(super) service_id: B256,
    pub(super) region: Option<B256>,
    pub(super) quote_timeout: Duration,
    /// The payment sent: kept outside the task, so that an attempt abandoned in flight (another
    /// orchestrator answered first) is still accounted for.
    pub(super) sent: Arc<Mutex<Sent>>,
}

/// Tickets an attempt sent and the orchestrator did not refuse at intake (those of a request
/// still in flight count).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sent {
    pub(super) tickets: u64,
    pub(super) ev: U256,
}

/// A well-formed answer, its renditions fetched and stored.
pub(super) struct Answer {
    pub(super) result: SegmentResult,
    pub(super) renditions: Vec<Vec<u8>>,
    pub(super) tickets: u64,
    pub(super) quote_ms: f64,
    pub(super) pay_ms: f64,
    pub(super) request_ms: f64,
    pub(super) fetch_ms: f64,
}

pub(super) enum AttemptError {
    LowBalance(String),
    Failed(String),
}

pub(super) struct AttemptOutput {
    pub(super) index: usize,
    pub(super) orch: Orch,
    pub(super) outcome: Result<Answer, AttemptError>,
}

async fn current_block(provider: &alloy::providers::DynProvider) -> Option<u64> {
    provider.get_block_number().await.ok()
}

async fn requote(i: &mut AttemptInput) -> Result<(), AttemptError> {
    let req = QuoteRequest {
        sender: i.sender,
        service_id: i.service_id,
        region: i.region,
    };
    let failed = |why: String| AttemptError::Failed(format!("re-quote: {why}"));
    match tokio::time::timeout(i.quote_timeout, i.orch.quoted.client.quote(&req)).await {
        Ok(Ok(q)) if q.orchestrator == i.orch.quoted.candidate.address => {
            i.orch.credit = q.balance;
            i.orch.quoted.quote = q;
            Ok(())
        }
        Ok(Ok(q)) => Err(failed(format!("quote from {} instead", q.orchestrator))),
        Ok(Err(e)) if e.kind() == Some(ErrorKind::LowPMBalance) => {
            Err(AttemptError::LowBalance(describe(&e)))
        }
        Ok(Err(e)) => Err(failed(describe(&e))),
        Err(_) => Err(failed("timed out".into())),
    }
}

/// Sends one segment to one orchestrator, acting on the errors it answers, and fetches the
/// renditions of a successful answer.
pub(super) async fn attempt(mut i: AttemptInput) -> AttemptOutput {
    let mut quote_ms = 0.0;
    let mut retries = 0u32;
    let mut skipped = false;
    let outcome = loop {
        retries += 1;
        if retries > 8 {
            break Err(AttemptError::Failed("too many retries".into()));
        }
        // Parameters about to expire: a new quote first.
        let params = &i.orch.quoted.quote.ticket_params;
        if let Some(block) = current_block(&i.provider).await
            && block >= params.expiration_block
        {
            let t = Instant::now();
            if let Err(e) = requote(&mut i).await {
                break Err(e);
            }
            quote_ms += t.elapsed().as_secs_f64() * 1e3;
        }
        let q = &i.orch.quoted.quote;
        let t = Instant::now();
        let ev = payment::expected_value(q.ticket_params.face_value, q.ticket_params.win_prob);
        let fee = TicketMaker::fee(
            &q.price,
            i.estimated_pixels.saturating_mul(i.orch.pay_factor),
        );
        // At least one ticket: the receipt names the ticket that paid for the segment.
        let count = payment::tickets_needed(fee, i.orch.credit, ev).max(1);
        let pay = {
            let mut maker = i.maker.lock().unwrap_or_else(|p| p.into_inner());
            maker.pay(&q.ticket_params, count)
        };
        let pay = match pay {
            Ok(p) => p,
            Err(e) => break Err(AttemptError::Failed(format!("payment: {e}"))),
        };
        let pay_ms = t.elapsed().as_secs_f64() * 1e3;
        let paid = ev.saturating_mul(U256::from(count));
        {
            let mut s = i.sent.lock().unwrap_or_else(|p| p.into_inner());
            s.tickets += count;
            s.ev = s.ev.saturating_add(paid);
        }
        let t = Instant::now();
        let sent = tokio::time::timeout(
            i.timeout,
            i.orch
                .quoted
                .client
                .segment(&i.job, &pay, i.body.as_ref().clone()),
        )
        .await;
        let request_ms = t.elapsed().as_secs_f64() * 1e3;
        // Tickets an orchestrator refused at intake were never taken: count only the others.
        let refused = matches!(&sent, Ok(Err(e)) if e.kind().is_some_and(tickets_refused));
        if refused {
            let mut s = i.sent.lock().unwrap_or_else(|p| p.into_inner());
            s.tickets -= count;
            s.ev = s.ev.saturating_sub(paid);
        }
        match sent {
            Err(_) => {
                break Err(AttemptError::Failed(format!(
                    "no answer within {:?}",
                    i.timeout
                )));
            }
            Ok(Ok(result)) => {
                i.orch.credit = result.balance.credit;
                let t = Instant::now();
                match fetch(&i.orch.quoted.client, &result).await {
                    Ok(renditions) => {
                        break Ok(Answer {
                            result,
                            renditions,
                            tickets: count,
                            quote_ms,
                            pay_ms,
                            request_ms,
                            fetch_ms: t.elapsed().as_secs_f64() * 1e3,
                        });
                    }
                    Err(e) => break Err(AttemptError::Failed(e)),
                }
            }
            Ok(Err(e)) => match e.kind() {
                Some(ErrorKind::InsufficientPayment) if i.orch.pay_factor < 64 => {
                    i.orch.pay_factor *= 2;
                    tracing::info!(target: "broadcaster", orchestrator = %i.orch.quoted.candidate.address, factor = i.orch.pay_factor, "InsufficientPayment: paying more");
                }
                Some(ErrorKind::TicketParamsExpired) => {
                    let t = Instant::now();
                    if let Err(e) = requote(&mut i).await {
                        break Err(e);
                    }
                    quote_ms += t.elapsed().as_secs_f64() * 1e3;
                }
                Some(ErrorKind::LowPMBalance) => {
                    break Err(AttemptError::LowBalance(describe(&e)));
                }
                // A nonce this orchestrator already saw (another stream of this sender used the
                // same commitment): move the sequence ahead and pay again, once.
                Some(ErrorKind::InvalidTicket) if !skipped => {
                    skipped = true;
                    let mut maker = i.maker.lock().unwrap_or_else(|p| p.into_inner());
                    maker.skip(&i.orch.quoted.quote.ticket_params);
                }
                _ => break Err(AttemptError::Failed(describe(&e))),
            },
        }
    };
    AttemptOutput {
        index: i.index,
        orch: i.orch,
        outcome,
    }
}

/// Errors an orchestrator answers before it takes a payment's tickets.
fn tickets_refused(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::LowPMBalance
            | ErrorKind::TicketParamsExpired
            | ErrorKind::InvalidTicket
            | ErrorKind::SenderUnlocking
            | ErrorKind::CapacityExceeded
            | ErrorKind::NotSynced
            | ErrorKind::BadRequest
            | ErrorKind::UnknownService
            | ErrorKind::TooLarge
    )
}

/// Fetches every rendition of `result` and checks its bytes against the signed hash.
async fn fetch(
    client: &OrchestratorClient,
    result: &SegmentResult,
) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::with_capacity(result.renditions.len());
    for r in &result.renditions {
        let bytes = client
            .rendition(r.output_hash)
            .await
            .map_err(|e: ClientError| format!("fetching {}: {}", r.name, describe(&e)))?;
        if content_hash(&bytes) != r.output_hash {
            return Err(format!(
                "rendition {}: bytes fetched don't hash to the outputHash signed",
                r.name
            ));
        }
        out.push(bytes);
    }
    Ok(out)
}
