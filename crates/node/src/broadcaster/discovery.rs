//! Discovery and negotiation: the orchestrators registered for the service and region (read from
//! the ServiceRegistry page by page, kept when their stake reaches the minimum), their quotes asked
//! in parallel, and the ranking that decides who gets the next segment.
//!
//! # The ranking rule
//!
//! Candidates whose quote failed, timed out, named another orchestrator, is above the maximum
//! price, doesn't take MPEG-TS, or is out of capacity are left out. The others are ordered by the
//! faults they had in this session (answers that failed a check: fewer first), then by their
//! strikes (errors and timeouts not yet forgiven: fewer first), then by a score (lower first):
//!
//! ```text
//! score = price / cheapest price                                    (1 for the cheapest)
//!       + 0.5  × min(quote time / fastest quote time, 4)            (times below 20 ms count as 20 ms)
//!       + 0.25 × min(largest stake / stake, 4)                      (security behind the work)
//!       − 0.5  × min(successes this session / 10, 1)                (history)
//! ```
//!
//! Price weighs most: twice the cheapest price costs as much as twice the fastest response time.
//! An orchestrator that failed goes behind every one that didn't, whatever its price. A fault (an
//! answer that failed a check: bad or dishonest work) stays for the whole session. An error or a
//! timeout is a strike, and strikes fade: one is forgiven each time the stream delivers
//! [`FORGIVE_AFTER`] more segments, so a good orchestrator that dropped one connection gets its
//! place back instead of staying behind worse ones for the rest of a long stream.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};

use super::chain::{Chain, ChainError};
use super::config::price_le;
use crate::client::{ClientError, OrchestratorClient};
use crate::wire::{FORMAT_MPEGTS, Price, Quote, QuoteRequest};

/// An orchestrator found in the registry (or configured by hand).
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its address (zero until its `/v1/info` or quote says, for hand-configured URIs).
    pub address: Address,
    /// Its service URI.
    pub uri: String,
    /// Its total stake (LPT wei).
    pub stake: U256,
}

/// Reads the registry: every orchestrator for `service` in `region` with at least `min_stake`.
pub async fn from_registry(
    chain: &Chain,
    service: B256,
    region: B256,
    min_stake: U256,
    page: u64,
) -> Result<Vec<Candidate>, ChainError> {
    let listed = chain.orchestrators_for(service, region, page).await?;
    let mut out = Vec::with_capacity(listed.len());
    for address in listed {
        let stake = chain.stake_of(address).await?;
        if stake < min_stake {
            tracing::debug!(target: "broadcaster", %address, %stake, "below the minimum stake");
            continue;
        }
        let uri = chain.service_uri(address).await?;
        out.push(Candidate {
            address,
            uri,
            stake,
        });
    }
    Ok(out)
}

/// A candidate with its quote.
#[derive(Debug, Clone)]
pub struct Quoted {
    /// Who.
    pub candidate: Candidate,
    /// Its client.
    pub client: OrchestratorClient,
    /// The quote.
    pub quote: Quote,
    /// How long the quote took.
    pub rtt: Duration,
}

/// Why a candidate was left out.
#[derive(Debug)]
pub enum Rejected {
    /// The quote call failed or timed out.
    Unreachable(String),
    /// The quote is unusable (price, format, capacity, identity).
    Unsuitable(String),
    /// The orchestrator won't quote: the sender's deposit and reserve can't cover a ticket.
    LowBalance(String),
}

/// Asks one candidate for a quote, within `timeout`.
pub async fn quote_one(
    candidate: Candidate,
    request: QuoteRequest,
    timeout: Duration,
    max_price: Option<Price>,
) -> Result<Quoted, Rejected> {
    let client =
        OrchestratorClient::new(&candidate.uri).map_err(|e| Rejected::Unsuitable(e.to_string()))?;
    let started = Instant::now();
    let quote = match tokio::time::timeout(timeout, client.quote(&request)).await {
        Ok(Ok(q)) => q,
        Ok(Err(e)) if e.kind() == Some(crate::wire::ErrorKind::LowPMBalance) => {
            return Err(Rejected::LowBalance(describe(&e)));
        }
        Ok(Err(e)) => return Err(Rejected::Unreachable(describe(&e))),
        Err(_) => {
            return Err(Rejected::Unreachable(format!(
                "no quote within {timeout:?}"
            )));
        }
    };
    let rtt = started.elapsed();
    let mut candidate = candidate;
    if candidate.address == Address::ZERO {
        candidate.address = quote.orchestrator;
    }
    if quote.orchestrator != candidate.address || quote.ticket_params.recipient != candidate.address
    {
        return Err(Rejected::Unsuitable(format!(
            "quote from {} (tickets to {}) for registered orchestrator {}",
            quote.orchestrator, quote.ticket_params.recipient, candidate.address
        )));
    }
    if quote.service_id != request.service_id {
        return Err(Rejected::Unsuitable("quote for another service".into()));
    }
    if !quote.input_formats.iter().any(|f| f == FORMAT_MPEGTS) {
        return Err(Rejected::Unsuitable("does not take MPEG-TS".into()));
    }
    if quote.price.pixels_per_unit == 0 {
        return Err(Rejected::Unsuitable("price with a zero pixel unit".into()));
    }
    if let Some(max) = max_price
        && !price_le(&quote.price, &max)
    {
        return Err(Rejected::Unsuitable(format!(
            "price {}/{} above the maximum",
            quote.price.wei_per_unit, quote.price.pixels_per_unit
        )));
    }
    if quote.capacity.slots > 0 && quote.capacity.in_flight >= quote.capacity.slots {
        return Err(Rejected::Unsuitable("no free slot".into()));
    }
    Ok(Quoted {
        candidate,
        client,
        quote,
        rtt,
    })
}

/// Asks every candidate in parallel; returns the usable quotes, and the reason given by an
/// orchestrator that refused for the sender's low balance (if any); logs the others.
pub async fn quote_all(
    candidates: Vec<Candidate>,
    request: &QuoteRequest,
    timeout: Duration,
    max_price: Option<Price>,
) -> (Vec<Quoted>, Option<String>) {
    let mut set = tokio::task::JoinSet::new();
    for c in candidates {
        let req = request.clone();
        set.spawn(async move {
            let uri = c.uri.clone();
            (uri, quote_one(c, req, timeout, max_price).await)
        });
    }
    let (mut out, mut low) = (Vec::new(), None);
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, Ok(q))) => out.push(q),
            Ok((uri, Err(Rejected::LowBalance(why)))) => {
                tracing::info!(target: "broadcaster", %uri, %why, "refused: LowPMBalance");
                low = Some(why);
            }
            Ok((uri, Err(why))) => tracing::info!(target: "broadcaster", %uri, ?why, "left out"),
            Err(e) => tracing::warn!(target: "broadcaster", %e, "quote task failed"),
        }
    }
    (out, low)
}

/// Segments the stream delivers (by any orchestrator) for one strike to be forgiven.
pub const FORGIVE_AFTER: u64 = 10;

/// A quoted orchestrator's record this session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Segments it returned and that passed the checks.
    pub successes: u32,
    /// Segments it failed (error, timeout, failed check).
    pub failures: u32,
    /// Answers that failed a check: never forgiven this session.
    pub faults: u32,
    /// Errors and timeouts not forgiven yet, as of `strikes_at`.
    strikes: u32,
    /// The stream's delivered-segment count when `strikes` was last set.
    strikes_at: u64,
}

impl History {
    /// The strikes still held once the stream has delivered `delivered` segments.
    pub fn strikes(&self, delivered: u64) -> u32 {
        let forgiven = delivered.saturating_sub(self.strikes_at) / FORGIVE_AFTER;
        self.strikes
            .saturating_sub(u32::try_from(forgiven).unwrap_or(u32::MAX))
    }

    /// Records an error or a timeout at `delivered` delivered segments: one more strike.
    pub fn strike(&mut self, delivered: u64) {
        self.strikes = self.strikes(delivered).saturating_add(1);
        self.strikes_at = delivered;
        self.failures = self.failures.saturating_add(1);
    }

    /// Records an answer that failed a check: a fault, for the rest of the session.
    pub fn fault(&mut self) {
        self.faults = self.faults.saturating_add(1);
        self.failures = self.failures.saturating_add(1);
    }
}

/// What the ranking looks at for one orchestrator.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    /// Its price.
    pub price: Price,
    /// Its quote's response time.
    pub rtt: Duration,
    /// Its stake.
    pub stake: U256,
    /// Its successes this session.
    pub successes: u32,
    /// Its faults this session (never forgiven).
    pub faults: u32,
    /// Its strikes not yet forgiven.
    pub strikes: u32,
}

fn ratio(a: U256, b: U256) -> f64 {
    // Both below 2^256: compare as floats (precision is not needed for a ranking).
    let f = |x: U256| f64::from(x);
    if b.is_zero() {
        f64::INFINITY
    } else {
        f(a) / f(b)
    }
}

fn price_per_pixel(p: &Price) -> f64 {
    f64::from(p.wei_per_unit) / (p.pixels_per_unit.max(1) as f64)
}

/// Quote times below this are not told apart (local jitter, not distance).
pub const RTT_FLOOR: Duration = Duration::from_millis(20);

/// The score of each standing (lower is better), by the rule in this module's documentation.
pub fn scores(standings: &[Standing]) -> Vec<f64> {
    let cheapest = standings
        .iter()
        .map(|s| price_per_pixel(&s.price))
        .fold(f64::INFINITY, f64::min);
    let rtt = |s: &Standing| s.rtt.max(RTT_FLOOR).as_secs_f64();
    let fastest = standings.iter().map(rtt).fold(f64::INFINITY, f64::min);
    let largest = standings
        .iter()
        .map(|s| s.stake)
        .max()
        .unwrap_or(U256::ZERO);
    standings
        .iter()
        .map(|s| {
            let price = if cheapest > 0.0 {
                price_per_pixel(&s.price) / cheapest
            } else if price_per_pixel(&s.price) > 0.0 {
                4.0
            } else {
                1.0
            };
            let speed = (rtt(s) / fastest).min(4.0);
            let stake = if largest.is_zero() {
                1.0
            } else {
                ratio(largest, s.stake).min(4.0)
            };
            let history = 0.5 * (f64::from(s.successes) / 10.0).min(1.0);
            price + 0.5 * speed + 0.25 * stake - history
        })
        .collect()
}

/// Indices of `standings` from best to worst: fewer faults first, then fewer strikes, then lower
/// score.
pub fn rank(standings: &[Standing]) -> Vec<usize> {
    let s = scores(standings);
    let mut idx: Vec<usize> = (0..standings.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (&standings[a], &standings[b]);
        x.faults
            .cmp(&y.faults)
            .then(x.strikes.cmp(&y.strikes))
            .then(s[a].total_cmp(&s[b]))
            .then(a.cmp(&b))
    });
    idx
}

/// A short description of a client error for logs and summaries.
pub fn describe(e: &ClientError) -> String {
    match e.api() {
        Some(api) => format!("{:?}: {}", api.kind, api.message),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(wei: u64, ms: u64, stake: u64, strikes: u32, successes: u32) -> Standing {
        Standing {
            price: Price {
                wei_per_unit: U256::from(wei),
                pixels_per_unit: 1,
            },
            rtt: Duration::from_millis(ms),
            stake: U256::from(stake),
            successes,
            faults: 0,
            strikes,
        }
    }

    #[test]
    fn price_weighs_most_then_speed_then_stake() {
        // Cheaper wins over faster.
        assert_eq!(
            rank(&[st(2, 10, 100, 0, 0), st(1, 30, 100, 0, 0)]),
            vec![1, 0]
        );
        // Local jitter below the floor doesn't count: same price, 1 ms vs 15 ms, more stake wins.
        assert_eq!(
            rank(&[st(1, 1, 100, 0, 0), st(1, 15, 400, 0, 0)]),
            vec![1, 0]
        );
        // Same price: faster wins.
        assert_eq!(
            rank(&[st(1, 30, 100, 0, 0), st(1, 10, 100, 0, 0)]),
            vec![1, 0]
        );
        // Same price and speed: more stake wins.
        assert_eq!(
            rank(&[st(1, 10, 100, 0, 0), st(1, 10, 400, 0, 0)]),
            vec![1, 0]
        );
    }

    #[test]
    fn a_failure_sends_an_orchestrator_behind_the_others() {
        // The cheapest, fastest, most staked one failed once: it goes last.
        assert_eq!(
            rank(&[
                st(1, 10, 400, 1, 5),
                st(2, 20, 100, 0, 0),
                st(2, 25, 100, 0, 0)
            ]),
            vec![1, 2, 0]
        );
        // Successes break ties in its favour.
        assert_eq!(
            rank(&[st(1, 10, 100, 0, 0), st(1, 10, 100, 0, 10)]),
            vec![1, 0]
        );
    }

    #[test]
    fn strikes_fade_as_the_stream_delivers_and_faults_stay() {
        let mut h = History::default();
        h.strike(3);
        h.strike(5); // two strikes, the second at 5 delivered segments
        assert_eq!(h.strikes(5), 2);
        assert_eq!(h.strikes(5 + FORGIVE_AFTER - 1), 2);
        assert_eq!(
            h.strikes(5 + FORGIVE_AFTER),
            1,
            "one forgiven after FORGIVE_AFTER segments"
        );
        assert_eq!(h.strikes(5 + 2 * FORGIVE_AFTER), 0);
        assert_eq!(h.strikes(5 + 9 * FORGIVE_AFTER), 0, "never below zero");
        h.strike(5 + FORGIVE_AFTER); // a new strike on top of the one left: 2 again
        assert_eq!(h.strikes(5 + FORGIVE_AFTER), 2);
        assert_eq!(h.failures, 3);
        h.fault();
        assert_eq!((h.faults, h.failures), (1, 4));

        // The best orchestrator, struck once, goes behind the others until its strike is forgiven.
        let mut best = st(1, 10, 400, 1, 5);
        let others = [st(2, 20, 100, 0, 0), st(2, 25, 100, 0, 0)];
        assert_eq!(rank(&[best, others[0], others[1]]), vec![1, 2, 0]);
        best.strikes = 0;
        assert_eq!(rank(&[best, others[0], others[1]]), vec![0, 1, 2]);
        // A fault keeps it behind even an orchestrator with strikes.
        best.faults = 1;
        assert_eq!(rank(&[best, st(2, 20, 100, 3, 0)]), vec![1, 0]);
    }

    #[test]
    fn free_and_unstaked_do_not_break_the_score() {
        let s = scores(&[st(0, 10, 0, 0, 0), st(1, 10, 0, 0, 0)]);
        assert!(s.iter().all(|x| x.is_finite()), "{s:?}");
        assert!(s[0] < s[1]);
    }
}
