//! `streamflow-demo`: the main job end to end on a local chain (see the `streamflow_demo` crate).
//! `make demo` runs it after deploying the protocol.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

/// A paid stream through three staked orchestrators (one dishonest), checked by the broadcaster,
/// the cheater challenged, judged by a committee and slashed; then a summary.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// JSON-RPC URL of a local dev chain (anvil) with the protocol deployed.
    #[arg(
        long,
        env = "STREAMFLOW_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    rpc_url: String,
    /// The deployment file the deploy script wrote.
    #[arg(
        long,
        env = "STREAMFLOW_DEPLOYMENT",
        default_value = "deployments/local.json"
    )]
    deployment: PathBuf,
    /// The `streamflow-node` binary (default: next to this one).
    #[arg(long, env = "STREAMFLOW_NODE_BIN")]
    node_bin: Option<PathBuf>,
    /// Folder for configs, keys, logs and the output (its previous content is replaced).
    #[arg(long, env = "STREAMFLOW_DEMO_DIR", default_value = ".demo")]
    work_dir: PathBuf,
    /// A video file to stream instead of the generated clip.
    #[arg(long)]
    clip: Option<PathBuf>,
    /// Seconds of the generated clip (about 2 s per segment).
    #[arg(long, default_value_t = 20.0)]
    clip_secs: f64,
    /// Fraction of segments the broadcaster checks in full (0..=1).
    #[arg(long, default_value_t = 0.5)]
    verify_rate: f64,
    /// Renditions, comma-separated presets.
    #[arg(long, default_value = "240p,360p")]
    profiles: String,
    /// Where the broadcaster serves the HLS output while it streams (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    http: SocketAddr,
    /// Leave every process running after the summary, and the HLS output served, until Ctrl-C.
    #[arg(long)]
    keep_running: bool,
    /// Log filter for the demo's own logs (the roles log to files under the work folder).
    #[arg(long, env = "STREAMFLOW_LOG", default_value = "warn")]
    log: String,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&cli.log))
        .with_writer(std::io::stderr)
        .init();
    let node_bin = match cli.node_bin {
        Some(p) => p,
        None => std::env::current_exe()
            .context("locating this binary")?
            .with_file_name("streamflow-node"),
    };
    let work_dir = std::path::absolute(&cli.work_dir).context("the work folder")?;
    let deployment = std::path::absolute(&cli.deployment).context("the deployment file")?;
    let mut opts = streamflow_demo::Options::new(&cli.rpc_url, &deployment, &node_bin, &work_dir)?;
    opts.clip = cli.clip;
    opts.clip_secs = cli.clip_secs;
    opts.verify_rate = cli.verify_rate;
    opts.profiles = cli.profiles;
    opts.http = cli.http;
    opts.keep_running = cli.keep_running;
    let report = streamflow_demo::run(opts, shutdown_signal()).await?;
    // With --keep-running the summary was printed before the wait for Ctrl-C.
    if !cli.keep_running {
        report.print(&mut std::io::stdout())?;
    }
    println!(
        "  logs         {} (one per process)",
        work_dir.join("logs").display()
    );
    Ok(())
}
