//! `LowPMBalance`: wait after a recent top-up, top up if configured, else stop.

use std::time::{Duration, Instant};

use alloy::primitives::U256;

use super::{Session, Stop};

/// How long after a top-up a `LowPMBalance` is taken for orchestrators not having seen it yet.
const TOP_UP_GRACE: Duration = Duration::from_secs(20);

impl Session {
    /// `LowPMBalance`: within the grace after a top-up, wait a little; else top up if configured
    /// and allowed; else stop.
    pub(super) async fn low_balance(&mut self, why: String) -> Result<(), Stop> {
        if let Some(at) = self.topped_up_at
            && at.elapsed() < TOP_UP_GRACE
        {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Ok(());
        }
        match self.opts.top_up {
            Some(amount) if self.summary.top_ups < self.opts.max_top_ups => {
                let tx = self
                    .chain
                    .fund(amount, U256::ZERO)
                    .await
                    .map_err(|e| Stop::LowBalance(format!("{why}; top-up failed: {e}")))?;
                self.summary.top_ups += 1;
                self.topped_up_at = Some(Instant::now());
                tracing::info!(target: "broadcaster", %tx, %amount, "deposit topped up");
                Ok(())
            }
            _ => Err(Stop::LowBalance(why)),
        }
    }
}
