//! The orchestrator's transcoder pool: where a paid segment is transcoded.
//!
//! A [`Pool`] hands out [`Slot`]s (one per segment being transcoded) so the orchestrator can refuse
//! with `CapacityExceeded` *before* it reads a segment's body, then runs the job in the slot. Its
//! capacity is the sum of its in-process slots (running `streamflow-transcoder` on blocking threads)
//! and of the slots every connected remote worker announced (`streamflow-node transcoder`, speaking
//! the [`protocol`] on the routes of [`Pool::worker_router`]).
//!
//! Scheduling: each segment goes to the executor with a free slot that has the lowest measured
//! cost, an exponentially weighted moving average of wall seconds per output pixel (an executor not
//! yet measured is tried first; ties go to the least loaded). A segment whose remote worker dies
//! (no heartbeat), leaves, times out, fails on its own account, or is caught returning bad output is
//! redone on another executor, up to [`PoolOptions::max_attempts`] times: the caller gets exactly one
//! answer. Output from [`Trust::Public`] workers is checked against the source with the transcoder
//! crate's verifier (cheap probe checks every time; the full pixel and quality check on a random
//! [`PoolOptions::spot_check`] fraction the worker cannot predict), and a worker caught is dropped
//! and its secret refused from then on.

mod bans;
mod check;
mod config;
mod local;
pub mod protocol;
mod remote;
mod schedule;

pub use config::{PoolConfig, PoolOptions, WorkerCredential, WorkerEntry};
pub use local::transcode_in_tempdir;
use schedule::{Exec, Remote, Session, Shared, Speed, State, TICK, Task, choose};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use streamflow_transcoder::transcode::TranscodeOptions;
use streamflow_transcoder::{Profile, RenditionReport, TranscodeError, TranscodeReport};
use tokio::sync::{Notify, oneshot};

use protocol::TaskResult;
pub use protocol::Trust;

use crate::wire::{Capacity, ErrorKind};

/// One segment to transcode.
#[derive(Debug, Clone)]
pub struct TranscodeJob {
    /// The segment's bytes (MPEG-TS).
    pub segment: Arc<Vec<u8>>,
    /// The renditions wanted, in order.
    pub profiles: Vec<Profile>,
}

/// One rendition produced.
#[derive(Debug, Clone)]
pub struct RenditionOutput {
    /// Its accounting (name, size, frames, pixels).
    pub report: RenditionReport,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// A transcoded segment.
#[derive(Debug, Clone)]
pub struct TranscodeOutput {
    /// The transcoder's report over the whole segment.
    pub report: TranscodeReport,
    /// The renditions, in the report's order.
    pub renditions: Vec<RenditionOutput>,
    /// Which worker did it: `local-N` for an in-process slot, else the remote worker's credential
    /// name and session (`name/session`).
    pub worker: String,
    /// Wall time of the transcode, in milliseconds (for a remote worker: from hand-out to result,
    /// transfers included).
    pub elapsed_ms: u64,
    /// Why earlier attempts at this segment were dropped (empty when the first attempt succeeded).
    pub retries: Vec<String>,
    /// Whether the output was checked with the full verifier (public workers' spot checks).
    pub audited: bool,
}

/// Why a segment wasn't transcoded.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Every slot is busy.
    #[error("no transcoding slot free ({in_flight} of {slots} busy)")]
    Busy {
        /// Slots in total.
        slots: u32,
        /// Slots busy.
        in_flight: u32,
    },
    /// The transcoder refused or failed on this segment (corrupt input, bad profile, limits).
    #[error("transcoding failed: {0}")]
    Transcode(#[from] TranscodeError),
    /// A local file operation failed.
    #[error("pool i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The transcoding task died.
    #[error("transcoding task failed: {0}")]
    Task(String),
    /// No executor could take the segment in time (every remote worker gone or excluded).
    #[error("no transcoder available within {waited_ms} ms")]
    NoWorker {
        /// How long the pool waited.
        waited_ms: u64,
    },
    /// Every attempt failed for reasons that were not the segment's.
    #[error("segment dropped after {attempts} attempts; last: {last}")]
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// Why the last one failed.
        last: String,
    },
    /// The pool's configuration is wrong (e.g. an unreadable secret file).
    #[error("pool config: {0}")]
    Config(String),
}

impl PoolError {
    /// The wire error a broadcaster should get for this failure.
    pub fn error_kind(&self) -> ErrorKind {
        match self {
            PoolError::Busy { .. } | PoolError::NoWorker { .. } => ErrorKind::CapacityExceeded,
            PoolError::Transcode(e) if protocol::is_input_fault(e) => ErrorKind::TranscodeFailed,
            _ => ErrorKind::Internal,
        }
    }
}

/// One executor's state, as [`Pool::workers`] reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
    /// `local` for the in-process slots, else `name/session`.
    pub id: String,
    /// Trust given to its output.
    pub trust: Trust,
    /// Its slots.
    pub slots: u32,
    /// Segments it holds now.
    pub busy: u32,
    /// Measured seconds per output pixel (EWMA), once measured.
    pub secs_per_pixel: Option<f64>,
    /// Segments it returned and that were accepted.
    pub done: u64,
    /// Attempts it lost (died, timed out, failed on its own account, bad output).
    pub failed: u64,
}

/// A reserved transcoding slot; released when dropped.
pub struct Slot {
    pool: Arc<Shared>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut st = self.pool.lock();
        st.reserved = st.reserved.saturating_sub(1);
        drop(st);
        self.pool.changed.notify_waiters();
    }
}

/// The transcoder pool: in-process slots and remote workers.
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<Shared>,
}

impl Pool {
    /// A pool of `slots` in-process transcoding slots (at least one) and no remote worker.
    pub fn local(slots: u32, options: TranscodeOptions) -> Self {
        Self::new(PoolOptions {
            local_slots: slots.max(1),
            transcode: options,
            ..PoolOptions::default()
        })
    }

    /// A pool as `options` describe it (remote workers connect through [`Pool::worker_router`]);
    /// bans are kept in memory only (`options.state_db` is not read: see [`Pool::open`]).
    pub fn new(options: PoolOptions) -> Self {
        Self::build(options, None)
    }

    /// Like [`Pool::new`], with the bans kept in `options.state_db` (when set): secrets banned
    /// before a restart are refused again.
    pub fn open(options: PoolOptions) -> Result<Self, PoolError> {
        let Some(path) = options.state_db.clone() else {
            return Ok(Self::new(options));
        };
        let db = bans::BanDb::open(&path)?;
        let banned = db.banned()?;
        let pool = Self::build(options, Some(db));
        {
            let mut st = pool.inner.lock();
            for (i, c) in pool.inner.opts.workers.iter().enumerate() {
                if banned.contains(&bans::secret_hash(&c.secret)) {
                    tracing::info!(target: "pool", worker = %c.name, "secret banned before the restart: refused");
                    st.banned.insert(i);
                }
            }
        }
        Ok(pool)
    }

    fn build(options: PoolOptions, bans: Option<bans::BanDb>) -> Self {
        let local = options.local_slots as usize;
        Self {
            inner: Arc::new(Shared {
                bans,
                opts: options,
                state: Mutex::new(State {
                    reserved: 0,
                    local_busy: vec![false; local],
                    local_speed: Speed::default(),
                    sessions: HashMap::new(),
                    tasks: HashMap::new(),
                    banned: HashSet::new(),
                    strikes: HashMap::new(),
                    next_task: 1,
                }),
                changed: Notify::new(),
            }),
        }
    }

    /// The options it was built with.
    pub fn options(&self) -> &PoolOptions {
        &self.inner.opts
    }

    /// Slots in total (in-process and every live remote worker's) and reserved now.
    pub fn capacity(&self) -> Capacity {
        let st = self.inner.lock_live();
        Capacity {
            slots: st.capacity(),
            in_flight: st.reserved,
        }
    }

    /// Every executor's state: the in-process slots first (when there are any), then each worker.
    pub fn workers(&self) -> Vec<WorkerStatus> {
        let st = self.inner.lock_live();
        let mut out = Vec::with_capacity(st.sessions.len() + 1);
        if !st.local_busy.is_empty() {
            out.push(WorkerStatus {
                id: "local".into(),
                trust: Trust::Trusted,
                slots: st.local_busy.len() as u32,
                busy: st.local_busy.iter().filter(|b| **b).count() as u32,
                secs_per_pixel: st.local_speed.ewma,
                done: st.local_speed.done,
                failed: st.local_speed.failed,
            });
        }
        let mut remote: Vec<WorkerStatus> = st
            .sessions
            .values()
            .map(|s| WorkerStatus {
                id: s.label.clone(),
                trust: s.trust,
                slots: s.slots,
                busy: s.busy,
                secs_per_pixel: s.speed.ewma,
                done: s.speed.done,
                failed: s.speed.failed,
            })
            .collect();
        remote.sort_by(|a, b| a.id.cmp(&b.id));
        out.extend(remote);
        out
    }

    /// Reserves a slot now, or says the pool is busy.
    pub fn reserve(&self) -> Result<Slot, PoolError> {
        let mut st = self.inner.lock_live();
        let slots = st.capacity();
        if st.reserved >= slots {
            return Err(PoolError::Busy {
                slots,
                in_flight: st.reserved,
            });
        }
        st.reserved += 1;
        Ok(Slot {
            pool: self.inner.clone(),
        })
    }

    /// Transcodes `job` in the reserved `slot` (released when this returns), on whichever executor
    /// the scheduler picks, redoing it elsewhere if a remote attempt is lost or caught.
    pub async fn transcode(
        &self,
        slot: Slot,
        job: TranscodeJob,
    ) -> Result<TranscodeOutput, PoolError> {
        let _slot = slot;
        let opts = &self.inner.opts;
        let mut excluded: HashSet<u64> = HashSet::new();
        let mut retries: Vec<String> = Vec::new();
        let mut input_fault: Option<String> = None;
        for _ in 0..opts.max_attempts.max(1) {
            let exec = match self.pick(&excluded, input_fault.is_some()).await {
                Ok(e) => e,
                Err(e) => {
                    return Err(match input_fault {
                        Some(reason) => PoolError::Transcode(TranscodeError::Corrupt { reason }),
                        None => e,
                    });
                }
            };
            let session = match exec {
                Exec::Local(i) => return self.run_local(i, job, retries).await,
                Exec::Remote(s) => s,
            };
            let (label, trust) = {
                let st = self.inner.lock();
                match st.sessions.get(&session) {
                    Some(s) => (s.label.clone(), s.trust),
                    None => (format!("session {session:x}"), Trust::Public),
                }
            };
            let started = Instant::now();
            let answer = self.run_remote(session, &job).await;
            let elapsed = started.elapsed();
            let (result, body) = match answer {
                Remote::Lost(reason) => {
                    self.lost(session, &label, &reason, &mut retries, &mut excluded);
                    continue;
                }
                Remote::Answer(result, body) => (result, body),
            };
            let report = match result {
                TaskResult::Failed {
                    input_fault: true,
                    message,
                } if trust == Trust::Trusted => {
                    return Err(PoolError::Transcode(TranscodeError::Corrupt {
                        reason: format!("{label}: {message}"),
                    }));
                }
                TaskResult::Failed {
                    input_fault: fault,
                    message,
                } => {
                    if fault {
                        input_fault = Some(format!("{label}: {message}"));
                    }
                    self.lost(session, &label, &message, &mut retries, &mut excluded);
                    continue;
                }
                TaskResult::Done { report } => report,
            };
            let renditions = match split_renditions(&report, &body) {
                Ok(r) => r,
                Err(reason) => {
                    if trust == Trust::Public {
                        self.ban(session, &reason);
                    }
                    self.lost(session, &label, &reason, &mut retries, &mut excluded);
                    continue;
                }
            };
            let mut audited = false;
            if trust == Trust::Public {
                let audit = opts.spot_check > 0.0 && rand::random::<f64>() < opts.spot_check;
                let (j, r, rs, limits) = (
                    job.clone(),
                    report.clone(),
                    renditions.clone(),
                    opts.transcode.limits.clone(),
                );
                let outcome = tokio::task::spawn_blocking(move || {
                    check::spot_check(&j, &r, &rs, audit, &limits)
                })
                .await
                .map_err(|e| PoolError::Task(e.to_string()))?;
                match outcome {
                    check::Outcome::Pass => audited = audit,
                    check::Outcome::Caught(reason) => {
                        let reason = format!("bad output: {reason}");
                        self.ban(session, &reason);
                        self.lost(session, &label, &reason, &mut retries, &mut excluded);
                        continue;
                    }
                    check::Outcome::Unverifiable(reason) => {
                        let reason = format!("output could not be checked: {reason}");
                        self.lost(session, &label, &reason, &mut retries, &mut excluded);
                        continue;
                    }
                }
            }
            {
                let mut st = self.inner.lock();
                if let Some(s) = st.sessions.get_mut(&session) {
                    s.speed.record(elapsed, report.total_pixels());
                    let cred = s.cred;
                    st.strikes.remove(&cred);
                }
            }
            tracing::debug!(target: "pool", worker = %label, ms = elapsed.as_millis() as u64, audited, "segment done");
            return Ok(TranscodeOutput {
                report,
                renditions,
                worker: label,
                elapsed_ms: elapsed.as_millis() as u64,
                retries,
                audited,
            });
        }
        Err(PoolError::Exhausted {
            attempts: opts.max_attempts.max(1),
            last: retries.pop().unwrap_or_default(),
        })
    }

    /// Books a lost attempt: the worker's failure count, the retry reason, the exclusion.
    fn lost(
        &self,
        session: u64,
        label: &str,
        reason: &str,
        retries: &mut Vec<String>,
        excluded: &mut HashSet<u64>,
    ) {
        tracing::warn!(target: "pool", worker = %label, reason, "attempt lost; segment goes elsewhere");
        let mut st = self.inner.lock();
        if let Some(s) = st.sessions.get_mut(&session) {
            s.speed.failed += 1;
        }
        retries.push(format!("{label}: {reason}"));
        excluded.insert(session);
    }

    /// Drops a worker caught returning bad output, and refuses its secret from now on.
    fn ban(&self, session: u64, reason: &str) {
        let mut st = self.inner.lock();
        let Some(cred) = st.sessions.get(&session).map(|s| s.cred) else {
            return;
        };
        st.banned.insert(cred);
        let name = &self.inner.opts.workers[cred].name;
        if let Some(db) = &self.inner.bans {
            let hash = bans::secret_hash(&self.inner.opts.workers[cred].secret);
            if let Err(e) = db.ban(hash, name, reason) {
                tracing::error!(target: "pool", worker = %name, error = %e, "the ban could not be saved: it lasts until a restart");
            }
        }
        tracing::warn!(target: "pool", worker = %name, reason, "worker dropped and its secret refused");
        let ids: Vec<u64> = st
            .sessions
            .iter()
            .filter(|(_, s)| s.cred == cred)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            st.remove_session(id, &format!("dropped: {reason}"));
        }
        drop(st);
        self.inner.changed.notify_waiters();
    }

    /// Waits for an executor with a free slot (not in `excluded`) and books one of its slots.
    /// With `fail_fast`, gives up at once when no eligible executor is connected at all.
    async fn pick(&self, excluded: &HashSet<u64>, fail_fast: bool) -> Result<Exec, PoolError> {
        let started = Instant::now();
        let deadline = started + self.inner.opts.queue_timeout;
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = self.inner.lock_live();
                if let Some(exec) = choose(&st, excluded) {
                    match exec {
                        Exec::Local(i) => st.local_busy[i] = true,
                        Exec::Remote(id) => {
                            if let Some(s) = st.sessions.get_mut(&id) {
                                s.busy += 1;
                            }
                        }
                    }
                    return Ok(exec);
                }
                let eligible = !st.local_busy.is_empty()
                    || st.sessions.keys().any(|id| !excluded.contains(id));
                if fail_fast && !eligible {
                    return Err(PoolError::NoWorker { waited_ms: 0 });
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(PoolError::NoWorker {
                    waited_ms: now.duration_since(started).as_millis() as u64,
                });
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(TICK.min(deadline - now)) => {}
            }
        }
    }

    async fn run_local(
        &self,
        index: usize,
        job: TranscodeJob,
        retries: Vec<String>,
    ) -> Result<TranscodeOutput, PoolError> {
        struct Release(Arc<Shared>, usize);
        impl Drop for Release {
            fn drop(&mut self) {
                let mut st = self.0.lock();
                if let Some(b) = st.local_busy.get_mut(self.1) {
                    *b = false;
                }
                drop(st);
                self.0.changed.notify_waiters();
            }
        }
        let _release = Release(self.inner.clone(), index);
        let options = self.inner.opts.transcode.clone();
        let out = tokio::task::spawn_blocking(move || transcode_in_tempdir(&job, &options))
            .await
            .map_err(|e| PoolError::Task(e.to_string()))?;
        let (report, renditions, elapsed_ms) = out?;
        self.inner
            .lock()
            .local_speed
            .record(Duration::from_millis(elapsed_ms), report.total_pixels());
        Ok(TranscodeOutput {
            report,
            renditions,
            worker: format!("local-{index}"),
            elapsed_ms,
            retries,
            audited: false,
        })
    }

    /// Hands `job` to remote session `id` and waits for its answer, its death or the task timeout.
    async fn run_remote(&self, id: u64, job: &TranscodeJob) -> Remote {
        let (tx, mut rx) = oneshot::channel();
        let task_id = {
            let mut st = self.inner.lock();
            let task_id = st.next_task;
            st.next_task += 1;
            let Some(s) = st.sessions.get_mut(&id) else {
                return Remote::Lost("worker gone before the hand-out".into());
            };
            s.queue.push_back(task_id);
            s.tasks.insert(task_id);
            s.wake.notify_one();
            st.tasks.insert(
                task_id,
                Task {
                    session: id,
                    job: job.clone(),
                    reply: Some(tx),
                },
            );
            task_id
        };
        // Takes the task back however this ends (answer, loss, timeout, or the caller giving up).
        struct TakeBack(Arc<Shared>, u64, u64);
        impl Drop for TakeBack {
            fn drop(&mut self) {
                let mut st = self.0.lock();
                st.tasks.remove(&self.2);
                if let Some(s) = st.sessions.get_mut(&self.1) {
                    s.tasks.remove(&self.2);
                    s.queue.retain(|t| *t != self.2);
                    s.busy = s.busy.saturating_sub(1);
                }
                drop(st);
                self.0.changed.notify_waiters();
            }
        }
        let _take_back = TakeBack(self.inner.clone(), id, task_id);
        let deadline = Instant::now() + self.inner.opts.task_timeout;
        loop {
            tokio::select! {
                r = &mut rx => {
                    return r.unwrap_or_else(|_| Remote::Lost("task dropped".into()));
                }
                _ = tokio::time::sleep(TICK) => {
                    drop(self.inner.lock_live());
                    if Instant::now() >= deadline {
                        // The worker is stuck or far too slow: end its session, so that whatever
                        // else it holds is redone too and it starts afresh if it is still there.
                        let reason = format!(
                            "no result within the {} ms task timeout",
                            self.inner.opts.task_timeout.as_millis()
                        );
                        let mut st = self.inner.lock();
                        if let Some(cred) = st.sessions.get(&id).map(|s| s.cred) {
                            *st.strikes.entry(cred).or_default() += 1;
                        }
                        st.remove_session(id, &reason);
                        drop(st);
                        self.inner.changed.notify_waiters();
                        return Remote::Lost(reason);
                    }
                }
            }
        }
    }
}

/// Cuts a worker's result body into its renditions, by the sizes its report gives.
fn split_renditions(report: &TranscodeReport, body: &[u8]) -> Result<Vec<RenditionOutput>, String> {
    let total = report
        .renditions
        .iter()
        .try_fold(0u64, |a, r| a.checked_add(r.bytes));
    if total != Some(body.len() as u64) {
        return Err(format!(
            "result body is {} bytes, the report says {total:?}",
            body.len()
        ));
    }
    let mut at = 0usize;
    let mut out = Vec::with_capacity(report.renditions.len());
    for r in &report.renditions {
        let end = at + r.bytes as usize;
        out.push(RenditionOutput {
            report: r.clone(),
            data: body[at..end].to_vec(),
        });
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::schedule::EWMA_ALPHA;
    use super::*;
    use std::collections::VecDeque;
    use tokio::sync::Notify;

    fn session(slots: u32, busy: u32, ewma: Option<f64>) -> Session {
        Session {
            cred: 0,
            label: String::new(),
            trust: Trust::Trusted,
            slots,
            busy,
            last_seen: Instant::now(),
            queue: VecDeque::new(),
            tasks: HashSet::new(),
            wake: Arc::new(Notify::new()),
            speed: Speed {
                ewma,
                ..Speed::default()
            },
        }
    }

    #[test]
    fn the_fastest_free_executor_is_chosen_and_unmeasured_ones_are_tried_first() {
        let pool = Pool::new(PoolOptions::default());
        let mut st = pool.inner.lock();
        st.local_speed.ewma = Some(5e-8);
        st.sessions.insert(1, session(1, 0, Some(2e-8)));
        st.sessions.insert(2, session(2, 0, Some(1e-8)));
        let none = HashSet::new();
        assert_eq!(choose(&st, &none), Some(Exec::Remote(2)), "fastest");
        st.sessions.get_mut(&2).expect("2").busy = 2;
        assert_eq!(
            choose(&st, &none),
            Some(Exec::Remote(1)),
            "next fastest free"
        );
        st.sessions.get_mut(&1).expect("1").busy = 1;
        assert_eq!(
            choose(&st, &none),
            Some(Exec::Local(0)),
            "slowest, but free"
        );
        st.local_busy[0] = true;
        assert_eq!(choose(&st, &none), None, "all busy");
        st.sessions.insert(3, session(2, 1, None));
        assert_eq!(
            choose(&st, &none),
            Some(Exec::Remote(3)),
            "unmeasured first"
        );
        assert_eq!(choose(&st, &HashSet::from([3])), None, "excluded");
        assert_eq!(st.capacity(), 1 + 1 + 2 + 2);
    }

    #[test]
    fn a_worker_that_timed_out_waits_behind_the_others_until_it_delivers() {
        let pool = Pool::new(PoolOptions {
            local_slots: 0,
            ..PoolOptions::default()
        });
        let mut st = pool.inner.lock();
        let mut fast = session(1, 0, Some(1e-9));
        fast.cred = 1;
        st.sessions.insert(1, fast);
        let mut slow = session(1, 0, Some(1e-7));
        slow.cred = 2;
        st.sessions.insert(2, slow);
        assert_eq!(choose(&st, &HashSet::new()), Some(Exec::Remote(1)));
        st.strikes.insert(1, 1);
        assert_eq!(
            choose(&st, &HashSet::new()),
            Some(Exec::Remote(2)),
            "struck"
        );
        st.sessions.get_mut(&2).expect("2").busy = 1;
        assert_eq!(
            choose(&st, &HashSet::new()),
            Some(Exec::Remote(1)),
            "still used when nothing else is free"
        );
    }

    #[test]
    fn equal_speed_goes_to_the_least_loaded() {
        let pool = Pool::new(PoolOptions {
            local_slots: 0,
            ..PoolOptions::default()
        });
        let mut st = pool.inner.lock();
        st.sessions.insert(1, session(4, 3, Some(1e-8)));
        st.sessions.insert(2, session(4, 1, Some(1e-8)));
        assert_eq!(choose(&st, &HashSet::new()), Some(Exec::Remote(2)));
    }

    #[test]
    fn speed_is_an_ewma_of_seconds_per_pixel() {
        let mut s = Speed::default();
        s.record(Duration::from_secs(1), 1_000_000);
        assert_eq!(s.ewma, Some(1e-6));
        s.record(Duration::from_secs(2), 1_000_000);
        let e = s.ewma.expect("measured");
        assert!((e - (1e-6 + EWMA_ALPHA * 1e-6)).abs() < 1e-15, "{e}");
        assert_eq!(s.done, 2);
    }

    #[test]
    fn a_silent_worker_is_reaped_and_its_segments_reported_lost() {
        let pool = Pool::new(PoolOptions::default());
        let mut st = pool.inner.lock();
        let mut s = session(1, 1, None);
        s.last_seen = Instant::now() - Duration::from_secs(10);
        s.tasks.insert(7);
        st.sessions.insert(1, s);
        let (tx, mut rx) = oneshot::channel();
        st.tasks.insert(
            7,
            Task {
                session: 1,
                job: TranscodeJob {
                    segment: Arc::new(Vec::new()),
                    profiles: Vec::new(),
                },
                reply: Some(tx),
            },
        );
        st.sessions.insert(2, session(1, 0, None));
        assert!(st.reap(Duration::from_secs(5)));
        assert!(!st.sessions.contains_key(&1) && st.sessions.contains_key(&2));
        assert!(st.tasks.is_empty());
        assert!(matches!(rx.try_recv(), Ok(Remote::Lost(r)) if r.contains("no heartbeat")));
    }

    #[test]
    fn pool_config_reads_secret_files_and_refuses_bad_values() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("w.secret");
        std::fs::write(&path, "a-long-enough-secret\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        let text = format!(
            "local_slots = 0\nspot_check = 0.25\n[[workers]]\nname = \"rack\"\nsecret_file = {:?}\ntrust = \"trusted\"\n",
            path.display().to_string()
        );
        let config: PoolConfig = toml::from_str(&text).expect("toml");
        let err = config
            .options(TranscodeOptions::default())
            .expect_err("a world-readable secret is refused");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let opts = config
            .options(TranscodeOptions::default())
            .expect("options");
        assert_eq!(opts.local_slots, 0);
        assert_eq!(opts.workers.len(), 1);
        assert_eq!(opts.workers[0].secret, "a-long-enough-secret");
        assert_eq!(opts.workers[0].trust, Trust::Trusted);
        assert!(!format!("{:?}", opts.workers[0]).contains("a-long-enough"));
        let bad = PoolConfig {
            spot_check: 1.5,
            ..PoolConfig::default()
        };
        assert!(bad.options(TranscodeOptions::default()).is_err());
    }

    #[test]
    fn a_full_pool_refuses_and_a_released_slot_is_reusable() {
        let pool = Pool::local(2, TranscodeOptions::default());
        let a = pool.reserve().expect("first");
        let _b = pool.reserve().expect("second");
        assert_eq!(
            pool.capacity(),
            Capacity {
                slots: 2,
                in_flight: 2
            }
        );
        assert!(matches!(
            pool.reserve(),
            Err(PoolError::Busy {
                slots: 2,
                in_flight: 2
            })
        ));
        drop(a);
        assert!(pool.reserve().is_ok());
    }

    #[tokio::test]
    async fn garbage_is_a_transcode_error_not_a_panic() {
        let pool = Pool::local(1, TranscodeOptions::default());
        let slot = pool.reserve().expect("slot");
        let job = TranscodeJob {
            segment: Arc::new(vec![0x47; 10_000]),
            profiles: vec![Profile::preset("240p").expect("preset")],
        };
        let err = pool.transcode(slot, job).await.expect_err("garbage");
        assert!(matches!(err, PoolError::Transcode(_)), "{err}");
        assert_eq!(pool.capacity().in_flight, 0);
    }

    #[tokio::test]
    async fn a_real_segment_is_transcoded_with_exact_pixels() {
        streamflow_transcoder::quiet_ffmpeg(false);
        let dir = tempfile::tempdir().expect("tmp");
        let src = dir.path().join("src.ts");
        let spec = streamflow_transcoder::testmedia::SegmentSpec::new(320, 240, 25, 1.0);
        streamflow_transcoder::testmedia::generate_segment(&spec, &src)
            .expect("ffmpeg makes a test segment");
        let pool = Pool::local(1, TranscodeOptions::default());
        let job = TranscodeJob {
            segment: Arc::new(std::fs::read(&src).expect("read")),
            profiles: vec![Profile::preset("240p").expect("preset")],
        };
        let out = pool
            .transcode(pool.reserve().expect("slot"), job)
            .await
            .expect("transcode");
        assert_eq!(out.renditions.len(), 1);
        let r = &out.renditions[0].report;
        assert_eq!(
            r.pixels,
            u64::from(r.width) * u64::from(r.height) * r.frames
        );
        assert!(r.frames >= 24, "frames {}", r.frames);
        assert_eq!(out.renditions[0].data.len() as u64, r.bytes);
    }
}
