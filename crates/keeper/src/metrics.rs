//! Counters the keeper keeps, rendered in the Prometheus text format. Counters live in memory
//! (since start); the stored state (queue depth, redeemed value, gas) is read from the database
//! when rendered, so it is right across restarts.

use crate::keeper::{Ack, Rejection};
use crate::store::Summary;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// In-memory counters since start.
#[derive(Debug, Default)]
pub struct Metrics {
    received: AtomicU64,
    won: AtomicU64,
    rejected: AtomicU64,
    redemption_txs: AtomicU64,
}

impl Metrics {
    pub(crate) fn record_intake(&self, result: &Result<Ack, Rejection>) {
        match result {
            Ok(ack) => {
                self.received.fetch_add(1, Ordering::Relaxed);
                if ack.winning {
                    self.won.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn record_tx(&self) {
        self.redemption_txs.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of the counters, the stored summary and the exposures.
    pub fn render(
        &self,
        summary: &Summary,
        exposures: &[(alloy::primitives::Address, u128)],
    ) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            &mut out,
            "keeper_tickets_received_total",
            "Tickets accepted since start.",
            self.received.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "keeper_tickets_won_total",
            "Winning tickets accepted since start.",
            self.won.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "keeper_tickets_rejected_total",
            "Tickets refused since start.",
            self.rejected.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "keeper_redemption_transactions_total",
            "Redemption transactions sent since start.",
            self.redemption_txs.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP keeper_tickets Stored winning tickets by state.\n# TYPE keeper_tickets gauge"
        );
        for (state, n, _) in &summary.by_state {
            let _ = writeln!(out, "keeper_tickets{{state=\"{}\"}} {n}", state.as_str());
        }
        let _ = writeln!(
            out,
            "# HELP keeper_face_value_wei Face value of stored winning tickets by state.\n# TYPE keeper_face_value_wei gauge"
        );
        for (state, _, v) in &summary.by_state {
            let _ = writeln!(
                out,
                "keeper_face_value_wei{{state=\"{}\"}} {v}",
                state.as_str()
            );
        }
        let depth: u64 = summary
            .by_state
            .iter()
            .filter(|s| s.0.is_pending())
            .map(|s| s.1)
            .sum();
        let _ = writeln!(
            out,
            "# HELP keeper_queue_depth Winning tickets not redeemed yet.\n# TYPE keeper_queue_depth gauge\nkeeper_queue_depth {depth}"
        );
        let _ = writeln!(
            out,
            "# HELP keeper_gas_spent_wei Gas paid for redemptions.\n# TYPE keeper_gas_spent_wei gauge\nkeeper_gas_spent_wei {}",
            summary.gas_cost
        );
        let _ = writeln!(
            out,
            "# HELP keeper_sender_exposure_wei What each sender can still pay (deposit + reserve allocation - pending).\n# TYPE keeper_sender_exposure_wei gauge"
        );
        for (sender, v) in exposures {
            let _ = writeln!(out, "keeper_sender_exposure_wei{{sender=\"{sender}\"}} {v}");
        }
        out
    }
}
