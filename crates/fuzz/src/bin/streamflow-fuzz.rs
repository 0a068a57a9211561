//! `streamflow-fuzz`: runs the stateful harness over the real bytecode for a time budget, prints a
//! progress line and a summary, and writes a failing sequence out as a forge test.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};
use eyre::WrapErr;
use streamflow_fuzz::{bench, machine, variants, world::World};

/// Stateful property tests of the Streamflow contracts in an in-process EVM.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the harness (the default).
    Run(RunArgs),
    /// Harness steps/s against forge's invariant runner on the same action mix, measured in one run.
    Bench(BenchArgs),
}

#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// Time budget in seconds (new cases stop starting after it; a failure still shrinks).
    #[arg(long, env = "FUZZ_BUDGET", default_value_t = 60, help_heading = "Run")]
    budget: u64,
    /// Seed of the run (same seed, same cases). Example: `--seed 0x5f`.
    #[arg(long, env = "FUZZ_SEED", default_value = "0x5f", value_parser = parse_seed, help_heading = "Run")]
    seed: u64,
    /// Longest sequence of a case.
    #[arg(long, default_value_t = 64, help_heading = "Run")]
    max_steps: usize,
    /// Worker threads (default 1: on a loaded machine a second thread measured slower).
    #[arg(long, help_heading = "Run")]
    threads: Option<usize>,
    /// Stop after this many cases even if budget is left.
    #[arg(long, help_heading = "Run")]
    max_cases: Option<u64>,
    /// proptest regression file (failures are appended, and replayed first next time).
    #[arg(
        long,
        default_value = "crates/fuzz/proptest-regressions/harness.txt",
        help_heading = "Output"
    )]
    regressions: PathBuf,
    /// Where a failing sequence is written as a forge test.
    #[arg(long, default_value = "contracts/test/repro", help_heading = "Output")]
    repro_dir: PathBuf,
    /// Run against a deliberately broken variant of the contracts (see `--list-variants`).
    #[arg(long, help_heading = "Run")]
    variant: Option<String>,
    /// List the broken variants and exit.
    #[arg(long, help_heading = "Run")]
    list_variants: bool,
    /// No progress line.
    #[arg(long, short, help_heading = "Output")]
    quiet: bool,
}

#[derive(Args, Debug, Clone)]
struct BenchArgs {
    /// Seconds of harness running.
    #[arg(long, default_value_t = 30)]
    budget: u64,
    /// forge invariant suites to compare with (a `--match-path` glob).
    #[arg(long, default_value = "contracts/test/invariant/*.invariant.t.sol")]
    forge_match_path: String,
    /// Run the harness only (its figures and where its time went), not forge.
    #[arg(long)]
    no_forge: bool,
    /// Harness worker threads. Default: every core, as forge's runner uses (the comparison is of
    /// the two tools on the same machine).
    #[arg(long)]
    threads: Option<usize>,
}

fn parse_seed(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|e| e.to_string())
}

fn run(args: &RunArgs) -> eyre::Result<bool> {
    if args.list_variants {
        for v in variants::VARIANTS {
            println!("{:24} {}", v.name, v.what);
        }
        return Ok(true);
    }
    let variant = match &args.variant {
        None => None,
        Some(name) => {
            let v = variants::by_name(name)
                .ok_or_else(|| eyre::eyre!("unknown variant {name} (see --list-variants)"))?;
            let started = std::time::Instant::now();
            let code = variants::creation_code(&std::env::current_dir()?, v)?;
            eprintln!(
                "variant {}: {} (implementation ready in {:.1} s)",
                v.name,
                v.what,
                started.elapsed().as_secs_f64()
            );
            let world = World::build_with(Some((v, code)))?;
            if machine::install_world(world).is_err() {
                eyre::bail!("a world was already installed");
            }
            Some(v)
        }
    };
    let cfg = machine::RunConfig {
        budget: Duration::from_secs(args.budget),
        seed: args.seed,
        max_steps: args.max_steps,
        max_cases: args.max_cases.unwrap_or(u64::MAX),
        regressions: Some(args.regressions.clone()),
        progress: !args.quiet,
        threads: args
            .threads
            .unwrap_or_else(|| machine::RunConfig::default().threads),
    };
    eprintln!(
        "streamflow-fuzz: seed {:#x}, budget {} s, up to {} steps per case, {} threads (replay with --seed {:#x})",
        cfg.seed, args.budget, cfg.max_steps, cfg.threads, cfg.seed
    );
    let summary = machine::run(&cfg);
    println!("{summary}");
    let Some(f) = &summary.failure else {
        return Ok(true);
    };
    println!(
        "\nFAILED: {} (step {} of the minimal sequence)",
        f.violation, f.step
    );
    println!("minimal sequence: {} steps", f.step);
    for (i, a) in f.actions.iter().take(f.step).enumerate() {
        println!("  {:>3}. {a:?}", i + 1);
    }
    let name = match variant {
        Some(v) => format!("FuzzRepro_{}_{:x}", v.name.replace('-', "_"), cfg.seed),
        None => format!("FuzzRepro{:x}", cfg.seed),
    };
    let note = variant
        .map(|v| {
            format!(
                "Runs against the broken variant `{}` ({}), swapped in as the harness did.",
                v.name, v.what
            )
        })
        .unwrap_or_default();
    let path = args.repro_dir.join(format!("{name}.t.sol"));
    // Imports in the test are relative to the repository root (the working directory).
    let cwd = std::env::current_dir()?;
    let relative = args.repro_dir.strip_prefix(&cwd).unwrap_or(&args.repro_dir);
    let depth = relative.components().count();
    machine::write_forge_test(f, &name, &note, &path, depth)
        .wrap_err_with(|| format!("writing {}", path.display()))?;
    println!(
        "forge reproduction: {} (node_modules/.bin/forge test --match-path {})",
        path.display(),
        path.display()
    );
    Ok(false)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => run(&cli.run),
        Some(Command::Run(a)) => run(a),
        Some(Command::Bench(b)) => bench::run(
            Duration::from_secs(b.budget),
            (!b.no_forge).then_some(b.forge_match_path.as_str()),
            b.threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            }),
        )
        .map(|report| {
            println!("{report}");
            true
        })
        .map_err(eyre::Report::from),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("streamflow-fuzz: {e:#}");
            ExitCode::from(2)
        }
    }
}
