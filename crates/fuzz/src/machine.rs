//! The proptest state machine over the harness, and a budgeted runner with shrinking, reproducible
//! seeds, committed regression files, a progress line and a summary.

use std::{
    cell::RefCell,
    path::PathBuf,
    sync::OnceLock,
    time::{Duration, Instant},
};

use proptest::{
    prelude::*,
    test_runner::{
        Config, FailurePersistence, FileFailurePersistence, PersistedSeed, RngAlgorithm,
        TestCaseError, TestError, TestRng, TestRunner,
    },
};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

use crate::{
    harness::{Action, Counters, Harness, Violation},
    world::World,
};

/// The generator of action sequences (the harness needs no abstract state to generate them: actions
/// carry seeds that the harness resolves against the chain, like a forge handler's).
#[derive(Debug, Clone, Copy)]
pub struct Actions;

/// The action mix, weighted roughly as the forge handlers' selectors are.
pub fn action() -> BoxedStrategy<Action> {
    let idx = || 0u8..8;
    prop_oneof![
        4 => (idx(), 0u32..2000, 0u32..5000).prop_map(|(sender, deposit_milli, reserve_milli)| Action::Fund { sender, deposit_milli, reserve_milli }),
        2 => (idx(), idx(), 0u32..2000, 0u32..5000).prop_map(|(funder, sender, deposit_milli, reserve_milli)| Action::FundFor { funder, sender, deposit_milli, reserve_milli }),
        1 => idx().prop_map(|sender| Action::Unlock { sender }),
        1 => idx().prop_map(|sender| Action::CancelUnlock { sender }),
        2 => idx().prop_map(|sender| Action::Withdraw { sender }),
        8 => (idx(), idx(), 1u32..1500, any::<bool>()).prop_map(|(sender, orch, face_milli, sure)| Action::Issue { sender, orch, face_milli, sure }),
        6 => any::<u16>().prop_map(|pick| Action::Redeem { pick }),
        3 => (idx(), any::<u16>(), 1u8..6).prop_map(|(orch, pick, n)| Action::RedeemBatch { orch, pick, n }),
        3 => idx().prop_map(|orch| Action::Reward { orch }),
        1 => (idx(), 0u32..1_000_001, 0u32..1_000_001).prop_map(|(orch, reward_cut, fee_share)| Action::AnnounceCuts { orch, reward_cut, fee_share }),
        1 => idx().prop_map(|orch| Action::RegisterServices { orch }),
        4 => (idx(), idx(), 1u32..5000).prop_map(|(who, to, lpt)| Action::Bond { who, to, lpt }),
        2 => (idx(), idx(), 1u32..5000).prop_map(|(payer, owner, lpt)| Action::BondFor { payer, owner, lpt }),
        3 => (idx(), 1u8..=100).prop_map(|(who, pct)| Action::Unbond { who, pct }),
        2 => (idx(), idx()).prop_map(|(who, pick)| Action::Rebond { who, pick }),
        2 => (idx(), idx()).prop_map(|(who, pick)| Action::WithdrawStake { who, pick }),
        1 => (idx(), idx()).prop_map(|(who, to)| Action::Redelegate { who, to }),
        2 => idx().prop_map(|who| Action::Claim { who }),
        2 => (idx(), 1u8..=100).prop_map(|(who, pct)| Action::WithdrawFees { who, pct }),
        3 => any::<u16>().prop_map(|blocks| Action::Roll { blocks }),
        4 => Just(Action::NextRound),
        2 => (idx(), idx(), 0u8..8).prop_map(|(orch, challenger, seq)| Action::OpenChallenge { orch, challenger, seq }),
        2 => (idx(), any::<bool>()).prop_map(|(pick, fault)| Action::Verdict { pick, fault }),
        2 => idx().prop_map(|pick| Action::Resolve { pick }),
        1 => idx().prop_map(|who| Action::ClaimCredit { who }),
        1 => (0u8..8).prop_map(|rounds| Action::SetUnlockPeriod { rounds }),
        1 => (0u8..8).prop_map(|rounds| Action::SetTicketValidity { rounds }),
        1 => (0u16..100).prop_map(|blocks| Action::SetRoundLength { blocks }),
        1 => (0u32..10_000).prop_map(|lpt| Action::SetMinActiveStake { lpt }),
    ]
    .boxed()
}

impl ReferenceStateMachine for Actions {
    type State = ();
    type Transition = Action;

    fn init_state() -> BoxedStrategy<()> {
        Just(()).boxed()
    }

    fn transitions(_: &()) -> BoxedStrategy<Action> {
        // Built once per thread: the union of 29 mapped strategies costs more to build than to draw
        // from, and proptest asks for it before every transition.
        thread_local! {
            static ACTION: BoxedStrategy<Action> = action();
        }
        ACTION.with(BoxedStrategy::clone)
    }

    fn apply(state: (), _: &Action) {
        state
    }
}

static WORLD: OnceLock<World> = OnceLock::new();

/// Installs the world of this process (e.g. with a broken variant); fails if one is in use.
pub fn install_world(w: World) -> Result<(), World> {
    WORLD.set(w)
}

/// The shared world, deployed once per process (the real contracts unless
/// [`install_world`] chose otherwise first).
pub fn world() -> &'static World {
    WORLD.get_or_init(|| match World::build() {
        Ok(w) => w,
        Err(e) => panic!("deploying the world failed: {e}"),
    })
}

thread_local! {
    static TOTALS: RefCell<Counters> = RefCell::new(Counters::default());
    static LAST_VIOLATION: RefCell<Option<(usize, Violation)>> = const { RefCell::new(None) };
}

/// The system under test: a harness over the shared world, plus the index of the next step.
pub struct Sut {
    harness: Harness<'static>,
    index: usize,
}

/// The proptest-state-machine binding: applies each action, then compares model and contracts.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolMachine;

fn fail(index: usize, v: Violation) -> ! {
    LAST_VIOLATION.with(|l| *l.borrow_mut() = Some((index, v.clone())));
    panic!("step {index}: {v}");
}

impl StateMachineTest for ProtocolMachine {
    type SystemUnderTest = Sut;
    type Reference = Actions;

    fn init_test(_: &()) -> Sut {
        Sut {
            harness: Harness::new(world()),
            index: 0,
        }
    }

    /// Runs the action, then compares the model with the contracts (here rather than in
    /// `check_invariants`, which only gets `&Sut`: revm needs `&mut` to run a view). A step whose
    /// calls all reverted changed nothing and is not compared again.
    fn apply(mut sut: Sut, _: &(), action: Action) -> Sut {
        sut.index += 1;
        if let Err(v) = sut.harness.step_and_check(&action) {
            fail(sut.index, v);
        }
        sut
    }

    fn teardown(sut: Sut, _: ()) {
        let started = Instant::now();
        let mut counters = sut.harness.counters;
        drop(sut);
        counters.setup_time += started.elapsed();
        TOTALS.with(|t| {
            t.borrow_mut().merge(&counters);
        });
    }
}

/// How to run the harness.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Stop starting new cases after this long (shrinking a failure may take longer).
    pub budget: Duration,
    /// Seed of the whole run: the same seed and budget give the same cases.
    pub seed: u64,
    /// Longest sequence of a case.
    pub max_steps: usize,
    /// Upper bound on cases (besides the budget).
    pub max_cases: u64,
    /// proptest regression file: failures are appended and replayed first on the next run.
    pub regressions: Option<PathBuf>,
    /// Print a progress line to stderr about once a second.
    pub progress: bool,
    /// Worker threads (cases run in parallel; forge's runner uses every core too).
    pub threads: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(60),
            seed: 0x5f,
            max_steps: 64,
            max_cases: u64::MAX,
            regressions: None,
            progress: false,
            threads: 1,
        }
    }
}

/// A failing sequence after shrinking.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The minimal sequence.
    pub actions: Vec<Action>,
    /// The step (1-based) that broke a property, and how.
    pub step: usize,
    /// The property and the detail.
    pub violation: Violation,
    /// The panic message proptest recorded.
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Seed of the run.
    pub seed: u64,
    /// Cases run (sequences).
    pub cases: u64,
    /// Totals over the cases (steps, checks, redemptions, slashes).
    pub counters: Counters,
    /// Wall time.
    pub elapsed: Duration,
    /// The minimal failing sequence, if any.
    pub failure: Option<Failure>,
}

impl Summary {
    /// Steps per second of wall time.
    pub fn steps_per_second(&self) -> f64 {
        self.counters.steps as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seed {:#x}: {} cases, {} steps ({} succeeded, {} redemptions, {} slashes) in {:.1} s = {:.0} steps/s, {} invariant checks, {} failures",
            self.seed,
            self.cases,
            self.counters.steps,
            self.counters.succeeded,
            self.counters.redeemed,
            self.counters.slashes,
            self.elapsed.as_secs_f64(),
            self.steps_per_second(),
            self.counters.checks,
            usize::from(self.failure.is_some())
        )
    }
}

/// Runs a single sequence on a fresh case; returns the failing step and violation, if any.
pub fn replay(actions: &[Action]) -> (Harness<'static>, Option<(usize, Violation)>) {
    let mut h = Harness::new(world());
    for (i, a) in actions.iter().enumerate() {
        if let Err(v) = h.step_and_check(a) {
            return (h, Some((i + 1, v)));
        }
    }
    (h, None)
}

/// Runs one chunk of cases (deterministic in `(seed, chunk)`); the shrunk failure, if any.
fn run_chunk(
    cfg: &RunConfig,
    chunk: u64,
    cases: u64,
    persistence: Option<FileFailurePersistence>,
) -> Option<Failure> {
    let strategy = Actions::sequential_strategy(1..=cfg.max_steps.max(1));
    let config = Config {
        cases: u32::try_from(cases).unwrap_or(8),
        // The first chunk replays the committed regressions; every chunk saves its failure.
        failure_persistence: persistence.map(|p| {
            if chunk == 0 {
                Box::new(p) as Box<dyn FailurePersistence>
            } else {
                Box::new(SaveOnly(p)) as Box<dyn FailurePersistence>
            }
        }),
        max_shrink_iters: 2048,
        ..Config::default()
    };
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&cfg.seed.to_le_bytes());
    seed[8..16].copy_from_slice(&chunk.to_le_bytes());
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let result = runner.run(&strategy, |(state, transitions, seen)| {
        LAST_VIOLATION.with(|l| *l.borrow_mut() = None);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ProtocolMachine::test_sequential(Config::default(), state, transitions, seen)
        }));
        match outcome {
            Ok(()) => Ok(()),
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_else(|| "panic".into());
                Err(TestCaseError::fail(msg))
            }
        }
    });
    let Err(TestError::Fail(reason, (_, actions, _))) = result else {
        return None;
    };
    let (_, found) = replay(&actions);
    let (step, violation) = found.unwrap_or_else(|| {
        (
            0,
            Violation {
                property: "panic",
                detail: reason.to_string(),
                check: crate::harness::ForgeCheck::Note,
            },
        )
    });
    Some(Failure {
        actions,
        step,
        violation,
        message: reason.to_string(),
    })
}

/// Runs cases until the budget or `max_cases` is reached, on `threads` threads (chunks of 8 cases,
/// each deterministic in the seed and its chunk number), and shrinks the first failure (the one of
/// the lowest chunk if several threads fail at once).
pub fn run(cfg: &RunConfig) -> Summary {
    use std::sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    };
    let start = Instant::now();
    let _ = world();
    let persistence = cfg.regressions.as_ref().map(|p| {
        let leaked: &'static str = Box::leak(p.display().to_string().into_boxed_str());
        FileFailurePersistence::Direct(leaked)
    });
    let next_chunk = AtomicU64::new(0);
    let cases = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let totals = Mutex::new(Counters::default());
    let failure: Mutex<Option<(u64, Failure)>> = Mutex::new(None);
    let last_progress = Mutex::new(Instant::now());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    std::thread::scope(|scope| {
        for _ in 0..cfg.threads.max(1) {
            scope.spawn(|| {
                while !stop.load(Ordering::SeqCst) && start.elapsed() < cfg.budget {
                    let chunk = next_chunk.fetch_add(1, Ordering::SeqCst);
                    let first = chunk.saturating_mul(8);
                    if first >= cfg.max_cases {
                        break;
                    }
                    let n = 8u64.min(cfg.max_cases - first);
                    TOTALS.with(|t| *t.borrow_mut() = Counters::default());
                    let found = run_chunk(cfg, chunk, n, persistence);
                    let done = TOTALS.with(|t| *t.borrow());
                    let all = {
                        let mut t = totals.lock().unwrap_or_else(|e| e.into_inner());
                        t.merge(&done);
                        *t
                    };
                    let cases_now = cases.fetch_add(n, Ordering::SeqCst) + n;
                    if let Some(f) = found {
                        stop.store(true, Ordering::SeqCst);
                        let mut slot = failure.lock().unwrap_or_else(|e| e.into_inner());
                        if slot.as_ref().is_none_or(|(c, _)| chunk < *c) {
                            *slot = Some((chunk, f));
                        }
                        break;
                    }
                    let mut last = last_progress.lock().unwrap_or_else(|e| e.into_inner());
                    if cfg.progress && last.elapsed() >= Duration::from_secs(1) {
                        *last = Instant::now();
                        let el = start.elapsed().as_secs_f64();
                        eprintln!(
                            "[{el:6.1}s] cases {cases_now:6}  steps {:8}  {:6.0} steps/s  checks {:10}  redemptions {:6}  slashes {:4}  failures 0",
                            all.steps,
                            all.steps as f64 / el.max(1e-9),
                            all.checks,
                            all.redeemed,
                            all.slashes
                        );
                    }
                }
            });
        }
    });
    std::panic::set_hook(hook);
    Summary {
        seed: cfg.seed,
        cases: cases.into_inner(),
        counters: totals.into_inner().unwrap_or_else(|e| e.into_inner()),
        elapsed: start.elapsed(),
        failure: failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .map(|(_, f)| f),
    }
}

/// Replays a failing sequence with recording on and writes it as a forge test at `path`
/// (`depth` = directories below the repository root). Returns the source.
pub fn write_forge_test(
    failure: &Failure,
    name: &str,
    note: &str,
    path: &std::path::Path,
    depth: usize,
) -> std::io::Result<String> {
    let mut h = Harness::recording(world());
    let mut found = None;
    for (i, a) in failure.actions.iter().enumerate() {
        if let Err(v) = h.step_and_check(a) {
            found = Some((i + 1, v));
            break;
        }
    }
    let (step, violation) = found.unwrap_or_else(|| (failure.step, failure.violation.clone()));
    let src = crate::forge::render(
        &crate::forge::Repro {
            name,
            journal: h.chain.journal(),
            actions: &failure.actions[..step.min(failure.actions.len())],
            step,
            violation: &violation,
            note,
        },
        depth,
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, &src)?;
    Ok(src)
}

/// Saves failures like the wrapped file persistence but loads none (only a run's first chunk
/// replays the regression file).
#[derive(Debug, Clone, PartialEq)]
struct SaveOnly(FileFailurePersistence);

impl FailurePersistence for SaveOnly {
    fn load_persisted_failures2(&self, _: Option<&'static str>) -> Vec<PersistedSeed> {
        Vec::new()
    }

    fn save_persisted_failure2(
        &mut self,
        source_file: Option<&'static str>,
        seed: PersistedSeed,
        shrunken_value: &dyn std::fmt::Debug,
    ) {
        self.0
            .save_persisted_failure2(source_file, seed, shrunken_value);
    }

    fn box_clone(&self) -> Box<dyn FailurePersistence> {
        Box::new(self.clone())
    }

    fn eq(&self, other: &dyn FailurePersistence) -> bool {
        other
            .as_any()
            .downcast_ref::<Self>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
