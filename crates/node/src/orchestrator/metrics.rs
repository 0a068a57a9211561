//! The orchestrator's counters, served as Prometheus text on `GET /metrics`. Tests read them to
//! prove that a refused request did no work.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::wire::{Capacity, ErrorKind};

/// Counters since start.
#[derive(Debug, Default)]
pub struct Metrics {
    /// `POST /v1/segment` requests received.
    pub segments_received: AtomicU64,
    /// Segments answered with renditions and a receipt.
    pub segments_served: AtomicU64,
    /// Segment bodies read (after every payment check passed).
    pub bodies_read: AtomicU64,
    /// Bytes of segment bodies read.
    pub body_bytes: AtomicU64,
    /// Bytes of refused segments' bodies received and dropped unread (so the client gets the error).
    pub bytes_discarded: AtomicU64,
    /// Transcodes handed to the pool.
    pub transcodes_started: AtomicU64,
    /// Pixels encoded and charged.
    pub pixels: AtomicU64,
    /// Tickets accepted by the keeper.
    pub tickets_accepted: AtomicU64,
    /// Winning tickets among them.
    pub tickets_won: AtomicU64,
    /// Quotes given.
    pub quotes: AtomicU64,
    refused: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a refusal of `kind`.
    pub fn refused(&self, kind: ErrorKind) {
        let mut m = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(format!("{kind:?}")).or_default() += 1;
    }

    /// Prometheus text, with the pool's capacity as gauges.
    pub fn render(&self, capacity: Capacity) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, &AtomicU64); 10] = [
            (
                "streamflow_orchestrator_segments_received_total",
                "Segment requests received.",
                &self.segments_received,
            ),
            (
                "streamflow_orchestrator_segments_served_total",
                "Segments answered with renditions and a signed receipt.",
                &self.segments_served,
            ),
            (
                "streamflow_orchestrator_bodies_read_total",
                "Segment bodies read (after the payment checks).",
                &self.bodies_read,
            ),
            (
                "streamflow_orchestrator_body_bytes_total",
                "Bytes of segment bodies read.",
                &self.body_bytes,
            ),
            (
                "streamflow_orchestrator_refused_body_bytes_discarded_total",
                "Bytes of refused segments' bodies received and dropped unread.",
                &self.bytes_discarded,
            ),
            (
                "streamflow_orchestrator_transcodes_started_total",
                "Transcodes handed to the pool.",
                &self.transcodes_started,
            ),
            (
                "streamflow_orchestrator_pixels_total",
                "Pixels encoded and charged.",
                &self.pixels,
            ),
            (
                "streamflow_orchestrator_tickets_accepted_total",
                "Tickets accepted.",
                &self.tickets_accepted,
            ),
            (
                "streamflow_orchestrator_tickets_won_total",
                "Winning tickets accepted.",
                &self.tickets_won,
            ),
            (
                "streamflow_orchestrator_quotes_total",
                "Quotes given.",
                &self.quotes,
            ),
        ];
        for (name, help, c) in counters {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                c.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP streamflow_orchestrator_refused_total Requests refused, by error kind.\n# TYPE streamflow_orchestrator_refused_total counter\n");
        for (kind, n) in self
            .refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            out.push_str(&format!(
                "streamflow_orchestrator_refused_total{{kind=\"{kind}\"}} {n}\n"
            ));
        }
        out.push_str(&format!(
            "# HELP streamflow_orchestrator_slots Transcoding slots.\n# TYPE streamflow_orchestrator_slots gauge\nstreamflow_orchestrator_slots {}\n# HELP streamflow_orchestrator_in_flight Segments being transcoded.\n# TYPE streamflow_orchestrator_in_flight gauge\nstreamflow_orchestrator_in_flight {}\n",
            capacity.slots, capacity.in_flight
        ));
        out
    }
}

/// Reads one sample's value from Prometheus text (`name` with its labels, e.g.
/// `x_total{kind="TooLarge"}`); `None` when absent. For tests and tools.
pub fn sample(text: &str, name: &str) -> Option<u64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (n, v) = l.rsplit_once(' ')?;
        (n == name).then(|| v.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_reads_back() {
        let m = Metrics::default();
        Metrics::inc(&m.transcodes_started);
        m.refused(ErrorKind::TooLarge);
        m.refused(ErrorKind::TooLarge);
        let t = m.render(Capacity {
            slots: 2,
            in_flight: 1,
        });
        assert_eq!(
            sample(&t, "streamflow_orchestrator_transcodes_started_total"),
            Some(1)
        );
        assert_eq!(
            sample(
                &t,
                "streamflow_orchestrator_refused_total{kind=\"TooLarge\"}"
            ),
            Some(2)
        );
        assert_eq!(sample(&t, "streamflow_orchestrator_slots"), Some(2));
        assert_eq!(sample(&t, "nope"), None);
    }
}
