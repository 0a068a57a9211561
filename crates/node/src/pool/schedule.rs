//! The pool's scheduling state: executors (the in-process slots and remote workers' sessions),
//! their measured speed, the segments handed out, and the choice of the executor for the next
//! attempt.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, oneshot};

use super::protocol::TaskResult;
use super::{PoolOptions, TranscodeJob, Trust, bans};

/// The weight of the newest measurement in the speed average.
pub(super) const EWMA_ALPHA: f64 = 0.3;
/// How often waiting callers look for dead workers and deadlines.
pub(super) const TICK: Duration = Duration::from_millis(200);

#[derive(Debug, Default, Clone)]
pub(super) struct Speed {
    pub(super) ewma: Option<f64>,
    pub(super) done: u64,
    pub(super) failed: u64,
}

impl Speed {
    pub(super) fn record(&mut self, elapsed: Duration, pixels: u64) {
        let spp = elapsed.as_secs_f64() / pixels.max(1) as f64;
        self.ewma = Some(match self.ewma {
            None => spp,
            Some(old) => old + EWMA_ALPHA * (spp - old),
        });
        self.done += 1;
    }
}

#[derive(Debug)]
pub(super) struct Session {
    pub(super) cred: usize,
    pub(super) label: String,
    pub(super) trust: Trust,
    pub(super) slots: u32,
    pub(super) busy: u32,
    pub(super) last_seen: Instant,
    pub(super) queue: VecDeque<u64>,
    pub(super) tasks: HashSet<u64>,
    pub(super) wake: Arc<Notify>,
    pub(super) speed: Speed,
}

/// What comes back from a remote attempt.
#[derive(Debug)]
pub(super) enum Remote {
    /// The worker answered (the bytes are the renditions back to back).
    Answer(TaskResult, axum::body::Bytes),
    /// The attempt is lost.
    Lost(String),
}

#[derive(Debug)]
pub(super) struct Task {
    pub(super) session: u64,
    pub(super) job: TranscodeJob,
    pub(super) reply: Option<oneshot::Sender<Remote>>,
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) reserved: u32,
    pub(super) local_busy: Vec<bool>,
    pub(super) local_speed: Speed,
    pub(super) sessions: HashMap<u64, Session>,
    pub(super) tasks: HashMap<u64, Task>,
    pub(super) banned: HashSet<usize>,
    /// Timeouts since its last accepted result, per credential.
    pub(super) strikes: HashMap<usize, u32>,
    pub(super) next_task: u64,
}

impl State {
    pub(super) fn capacity(&self) -> u32 {
        self.local_busy.len() as u32 + self.sessions.values().map(|s| s.slots).sum::<u32>()
    }

    /// Removes a session; its segments are lost and their callers told `reason`.
    pub(super) fn remove_session(&mut self, id: u64, reason: &str) {
        let Some(s) = self.sessions.remove(&id) else {
            return;
        };
        tracing::warn!(target: "pool", worker = %s.label, reason, "worker removed");
        for t in s.tasks {
            if let Some(mut task) = self.tasks.remove(&t)
                && let Some(reply) = task.reply.take()
            {
                let _ = reply.send(Remote::Lost(format!("{}: {reason}", s.label)));
            }
        }
        s.wake.notify_waiters();
    }

    /// Removes every session silent for longer than `timeout`.
    pub(super) fn reap(&mut self, timeout: Duration) -> bool {
        let now = Instant::now();
        let dead: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| now.duration_since(s.last_seen) > timeout)
            .map(|(id, _)| *id)
            .collect();
        let reason = format!("no heartbeat for over {} ms", timeout.as_millis());
        for id in &dead {
            self.remove_session(*id, &reason);
        }
        !dead.is_empty()
    }
}

#[derive(Debug)]
pub(super) struct Shared {
    pub(super) opts: PoolOptions,
    /// Where bans are persisted, if anywhere.
    pub(super) bans: Option<bans::BanDb>,
    pub(super) state: Mutex<State>,
    /// Signalled when a slot, a session or a reservation frees up or appears.
    pub(super) changed: Notify,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the state after removing dead sessions.
    pub(super) fn lock_live(&self) -> MutexGuard<'_, State> {
        let mut st = self.lock();
        if st.reap(self.opts.worker_timeout) {
            self.changed.notify_waiters();
        }
        st
    }
}

/// Where an attempt runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Exec {
    Local(usize),
    Remote(u64),
}

/// The best executor with a free slot: fewest recent timeouts of its secret (a worker that timed
/// out waits behind the others until it delivers again), then lowest measured seconds per pixel
/// (unmeasured first), then least loaded; the in-process slots win ties.
pub(super) fn choose(st: &State, excluded: &HashSet<u64>) -> Option<Exec> {
    let mut best: Option<(u32, f64, f64, Exec)> = None;
    let mut consider = |strikes: u32, cost: Option<f64>, busy: u32, slots: u32, exec: Exec| {
        let key = (
            strikes,
            cost.unwrap_or(0.0),
            f64::from(busy) / f64::from(slots.max(1)),
        );
        let better = match &best {
            None => true,
            Some((s, c, l, _)) => key
                .0
                .cmp(s)
                .then(key.1.total_cmp(c))
                .then(key.2.total_cmp(l))
                .is_lt(),
        };
        if better {
            best = Some((key.0, key.1, key.2, exec));
        }
    };
    if let Some(i) = st.local_busy.iter().position(|b| !*b) {
        let busy = st.local_busy.iter().filter(|b| **b).count() as u32;
        consider(
            0,
            st.local_speed.ewma,
            busy,
            st.local_busy.len() as u32,
            Exec::Local(i),
        );
    }
    let mut ids: Vec<&u64> = st.sessions.keys().collect();
    ids.sort();
    for id in ids {
        let s = &st.sessions[id];
        if excluded.contains(id) || s.busy >= s.slots {
            continue;
        }
        let strikes = st.strikes.get(&s.cred).copied().unwrap_or(0);
        consider(strikes, s.speed.ewma, s.busy, s.slots, Exec::Remote(*id));
    }
    best.map(|(_, _, _, e)| e)
}
