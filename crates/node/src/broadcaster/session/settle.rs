//! After the input: the challenges this stream opened are followed to their verdict while their
//! evidence stays served, then the bond (and, on a fault, the reward already paid in LPT) is
//! collected.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use serde::Serialize;

use super::Session;
use crate::challenge::{FollowOptions, Outcome};

/// How long the broadcaster waits for the verdict of a challenge it opened.
const VERDICT_WAIT: Duration = Duration::from_secs(900);

/// A challenge the stream opened, and how it ended.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeSummary {
    /// The FaultVerifier's challenge id.
    pub challenge_id: U256,
    /// The orchestrator challenged.
    pub orchestrator: Address,
    /// The segment.
    pub seq_no: u64,
    /// Whether the segment was drawn for the full check.
    pub sampled: bool,
    /// Why the checks failed it.
    pub reasons: Vec<String>,
    /// The bond posted (wei).
    pub bond: U256,
    /// How it ended (`None`: no verdict before the stream stopped waiting).
    pub outcome: Option<Outcome>,
    /// Why it was not followed to the end, if it was not.
    pub error: Option<String>,
    /// Seconds from opening to settlement.
    pub secs: f64,
    /// Wei withdrawn from the FaultVerifier after the stream's challenges settled (on the last
    /// one).
    pub collected_wei: U256,
    /// When it was opened.
    #[serde(skip)]
    pub(super) opened_at: Option<Instant>,
}

impl Session {
    /// Follows every challenge opened to its settlement (calling `resolve` when due), unless
    /// `user_stop` is set, then withdraws what the FaultVerifier owes this broadcaster.
    pub(super) async fn settle(&mut self, user_stop: Arc<AtomicBool>) {
        let Some((challenger, _)) = self.challenger.clone() else {
            return;
        };
        if self.summary.challenge_outcomes.is_empty() {
            return;
        }
        let opts = FollowOptions {
            poll: Duration::from_secs(1),
            timeout: VERDICT_WAIT,
            resolve: true,
        };
        for c in &mut self.summary.challenge_outcomes {
            tracing::info!(target: "broadcaster", challenge = %c.challenge_id, "following the challenge to its verdict (evidence still served)");
            let stopped = async {
                while !user_stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            };
            tokio::select! {
                r = challenger.follow(c.challenge_id, &opts) => match r {
                    Ok(o) => {
                        c.secs = c.opened_at.map_or(0.0, |t| t.elapsed().as_secs_f64());
                        tracing::info!(target: "broadcaster", challenge = %c.challenge_id, status = ?o.status, slashed = %o.slashed, reward = %o.finder_fee, "challenge settled");
                        c.outcome = Some(o);
                    }
                    Err(e) => c.error = Some(e.to_string()),
                },
                () = stopped => c.error = Some("shutdown before the verdict".into()),
            }
        }
        match challenger.collect().await {
            Ok(got) => {
                tracing::info!(target: "broadcaster", amount = %got.amount, "challenge bonds collected");
                if let Some(last) = self.summary.challenge_outcomes.last_mut() {
                    last.collected_wei = got.amount;
                }
            }
            Err(e) => tracing::warn!(target: "broadcaster", %e, "collecting the challenge bonds"),
        }
    }
}
