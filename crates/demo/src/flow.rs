//! The demo from start to end: committee, orchestrators, workers, members, broadcaster, report.

use crate::chain::*;
use crate::output::*;
use crate::procs::*;
use crate::progress::*;
use crate::report::*;
use crate::stream::*;
use crate::{ETHER, MAX_PASSES, Options, Result, SERVICE, STAKE_LPT, Step, fail};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::BondingManager;
use tokio::process::Command;

pub(crate) struct Orch {
    pub(crate) name: &'static str,
    pub(crate) key: PrivateKeySigner,
    pub(crate) port: u16,
    pub(crate) pool: &'static str,
    pub(crate) dishonest: bool,
    pub(crate) balance_before: U256,
}

impl Orch {
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Runs the demo (see the crate's docs). `shutdown` ends it early, and ends the wait of
/// `keep_running`.
pub async fn run(
    opts: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Report> {
    let started = Instant::now();
    if opts.keys.len() < 8 {
        return fail("options", "at least 8 dev keys are needed");
    }
    let mut shutdown = Box::pin(shutdown);
    let mut procs = Procs::default();
    let result = tokio::select! {
        r = demo(&opts, &mut procs, started) => r,
        _ = &mut shutdown => fail("demo", "interrupted"),
    };
    // `select!` gave `procs` back: stop everything unless asked to keep it.
    if opts.keep_running
        && let Ok(report) = &result
    {
        // The summary now, not after Ctrl-C.
        let _ = report.print(&mut std::io::stdout());
        // The broadcaster has exited: its output is served from here, at the same address.
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = match serve_hls(report, async {
            let _ = stop_rx.await;
        })
        .await
        {
            Ok(url) => {
                progress(&format!(
                    "\nThe output is served at {url}/index.m3u8 (e.g. ffplay {url}/index.m3u8); every process is still running (--keep-running): Ctrl-C stops it."
                ));
                true
            }
            Err(e) => {
                progress(&format!(
                    "\nEverything is still running (--keep-running): Ctrl-C stops it. The output could not be served: {e}"
                ));
                false
            }
        };
        shutdown.await;
        if server {
            let _ = stop_tx.send(());
        }
    }
    procs.stop_all().await;
    result
}

pub(crate) async fn demo(opts: &Options, procs: &mut Procs, started: Instant) -> Result<Report> {
    let dir = &opts.work_dir;
    if dir.exists() {
        std::fs::remove_dir_all(dir).step("clearing the work folder")?;
    }
    let logs = dir.join("logs");
    let keys_dir = dir.join("keys");
    std::fs::create_dir_all(&logs).step("work folder")?;
    std::fs::create_dir_all(&keys_dir).step("work folder")?;
    let d = Deployment::load(&opts.deployment).step("deployment")?;
    let gov_key = opts.keys[0].clone();
    let gov = provider_as(&opts.rpc_url, &gov_key)?;
    let start_block = gov.get_block_number().await.step("chain")?;
    initialize_round(&d, &gov).await?;
    let node = |args: &[&str]| {
        let mut c = Command::new(&opts.node_bin);
        c.args(args).env("STREAMFLOW_LOG", "info");
        c
    };

    // --- the committee
    let members: Vec<PrivateKeySigner> = opts.keys[5..8].to_vec();
    let gov_file = key_file(&keys_dir, "governance.key", &gov_key)?;
    progress(&format!(
        "[demo] committee: {} members, threshold 2, judging {SERVICE}",
        members.len()
    ));
    let mut setup = node(&["verifier", "setup"]);
    setup
        .arg("--rpc-url")
        .arg(&opts.rpc_url)
        .arg("--deployment")
        .arg(&opts.deployment)
        .arg("--governance-key-file")
        .arg(&gov_file)
        .args([
            "--threshold",
            "2",
            "--verdict-period-blocks",
            "200",
            "--service",
            SERVICE,
        ]);
    for m in &members {
        setup.arg("--member").arg(m.address().to_string());
    }
    run_to_end(setup, "verifier setup", &logs.join("verifier-setup.log")).await?;
    // The setup process sent governance transactions: a fresh provider reads the nonce anew.
    let gov = provider_as(&opts.rpc_url, &gov_key)?;

    // --- three orchestrators
    let mut orchs = Vec::new();
    let plans: [(&str, &str, bool, &str); 3] = [
        ("orch-a", "1 in-process slot", false, "1200"),
        (
            "orch-b",
            "a remote worker (public, spot-checked)",
            false,
            "1100",
        ),
        (
            "orch-c",
            "a remote worker, TRUSTED, that blurs a rendition",
            true,
            "900",
        ),
    ];
    for (i, (name, pool, dishonest, price)) in plans.into_iter().enumerate() {
        let key = opts.keys[1 + i].clone();
        let port = free_port()?;
        let balance_before = gov.get_balance(key.address()).await.step("balance")?;
        let o = Orch {
            name,
            key,
            port,
            pool,
            dishonest,
            balance_before,
        };
        let kf = key_file(&keys_dir, &format!("{name}.key"), &o.key)?;
        let data = dir.join(name);
        std::fs::create_dir_all(&data).step("orchestrator folder")?;
        let pool_toml = if i == 0 {
            "[pool]\nlocal_slots = 1\n".to_owned()
        } else {
            let secret = keys_dir.join(format!("{name}-worker.secret"));
            write_private(&secret, &format!("demo-worker-secret-of-{name}-0123456789"))?;
            let trust = if dishonest { "trusted" } else { "public" };
            format!(
                "[pool]\nlocal_slots = 0\nspot_check = 0.1\n\n[[pool.workers]]\nname = \"{name}-worker\"\nsecret_file = {:?}\ntrust = \"{trust}\"\n",
                secret.display().to_string()
            )
        };
        // Prices are gwei per thousand pixels; keeper tickets are worth 0.005 ETH each and win
        // often (face value = 200 × a redemption's cost), so a short stream has winners.
        let config = format!(
            "rpc_url = {:?}\ndeployment = {:?}\nkey_file = {:?}\ndata_dir = {:?}\nlisten = \"127.0.0.1:{port}\"\nservice_uri = \"http://127.0.0.1:{port}\"\nregions = [\"global\"]\nreward_poll_secs = 2\n\n[[services]]\nname = \"{SERVICE}\"\nprice_wei_per_unit = \"{price}000000000\"\npixels_per_unit = 1000\n\n[keeper]\nexpected_value_wei = \"5000000000000000\"\nface_value_multiplier = 200\nmax_cost_bps = 10000\nconfirmations = 1\npoll_ms = 500\n\n{pool_toml}",
            opts.rpc_url,
            opts.deployment.display().to_string(),
            kf.display().to_string(),
            data.display().to_string(),
        );
        let cfg = dir.join(format!("{name}.toml"));
        std::fs::write(&cfg, config).step("orchestrator config")?;
        transfer_lpt(
            &d,
            &gov,
            o.key.address(),
            U256::from(STAKE_LPT) * U256::from(ETHER),
        )
        .await?;
        let mut reg = node(&["orchestrator", "--config"]);
        reg.arg(&cfg).args([
            "register",
            "--bond",
            &STAKE_LPT.to_string(),
            "--reward-cut",
            "100000",
            "--fee-share",
            "500000",
        ]);
        run_to_end(
            reg,
            "orchestrator register",
            &logs.join(format!("{name}-register.log")),
        )
        .await?;
        progress(&format!(
            "[demo] {name} {} registered, {STAKE_LPT} LPT bonded, {price} gwei per 1000 pixels, pool: {pool}",
            o.key.address()
        ));
        orchs.push((o, cfg));
    }
    // Stake bonded in a round counts from the next one.
    next_round(&d, &gov).await?;

    for (o, cfg) in &orchs {
        let mut c = node(&["orchestrator", "--config"]);
        c.arg(cfg).arg("run");
        procs.spawn(o.name, c, &logs)?;
    }
    for (o, _) in &orchs {
        wait_http(
            &format!("{}/v1/info", o.url()),
            Duration::from_secs(60),
            procs,
            "orchestrator start",
        )
        .await?;
    }
    for (o, _) in orchs.iter().skip(1) {
        let secret = keys_dir.join(format!("{}-worker.secret", o.name));
        let mut c = node(&["transcoder", "--orchestrator"]);
        c.arg(o.url()).arg("--secret-file").arg(&secret).args([
            "--slots",
            "1",
            "--name",
            &format!("{}-worker", o.name),
        ]);
        if o.dishonest {
            c.env("STREAMFLOW_ALLOW_MISBEHAVIOUR", "1")
                .args(["--misbehave", "degrade"]);
        }
        procs.spawn(&format!("{}-worker", o.name), c, &logs)?;
    }
    let client = reqwest::Client::new();
    for (o, _) in orchs.iter().skip(1) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while metric(&client, &o.url(), "streamflow_orchestrator_slots")
            .await
            .unwrap_or(0)
            < 1
        {
            procs.check_alive()?;
            if Instant::now() > deadline {
                return fail(
                    "worker start",
                    format!("{}'s worker never registered", o.name),
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    progress("[demo] 3 orchestrators serving, 2 remote transcoder workers connected");

    // --- the committee members
    let ports: Vec<u16> = members.iter().map(|_| free_port()).collect::<Result<_>>()?;
    for (i, m) in members.iter().enumerate() {
        let kf = key_file(&keys_dir, &format!("member-{i}.key"), m)?;
        let peers: Vec<String> = ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| format!("\"http://127.0.0.1:{p}\""))
            .collect();
        let config = format!(
            "rpc_url = {:?}\ndeployment = {:?}\nkey_file = {:?}\nlisten = \"127.0.0.1:{}\"\npeers = [{}]\nwork_dir = {:?}\npoll_ms = 500\nsubmit_stagger_ms = 1000\nevidence_wait_secs = 30\nfrom_block = {start_block}\n",
            opts.rpc_url,
            opts.deployment.display().to_string(),
            kf.display().to_string(),
            ports[i],
            peers.join(", "),
            dir.join(format!("member-{i}-work")).display().to_string(),
        );
        let cfg = dir.join(format!("member-{i}.toml"));
        std::fs::write(&cfg, config).step("verifier config")?;
        let mut c = node(&["verifier", "run", "--config"]);
        c.arg(&cfg);
        procs.spawn(&format!("verifier-{i}"), c, &logs)?;
    }
    for p in &ports {
        wait_http(
            &format!("http://127.0.0.1:{p}/v1/member"),
            Duration::from_secs(60),
            procs,
            "verifier start",
        )
        .await?;
    }
    progress("[demo] 3 committee members watching for challenges");

    // --- the broadcaster
    let bkey = opts.keys[4].clone();
    let bfile = key_file(&keys_dir, "broadcaster.key", &bkey)?;
    let chain_args = |c: &mut Command| {
        c.arg("--rpc-url")
            .arg(&opts.rpc_url)
            .arg("--deployment")
            .arg(&opts.deployment)
            .arg("--key-file")
            .arg(&bfile)
            .arg("--config")
            .arg(dir.join("broadcaster.toml"));
    };
    std::fs::write(
        dir.join("broadcaster.toml"),
        format!("[stream]\nservice = \"{SERVICE}\"\nregion = \"global\"\nmin_stake_lpt = \"100\"\nmax_attempts = 4\n"),
    )
    .step("broadcaster config")?;
    let mut fund = node(&["broadcaster"]);
    chain_args(&mut fund);
    fund.args(["fund", "--deposit", "2eth", "--reserve", "1eth"]);
    run_to_end(fund, "broadcaster fund", &logs.join("broadcaster-fund.log")).await?;
    progress(&format!(
        "[demo] broadcaster {} funded: deposit 2 ETH, reserve 1 ETH",
        bkey.address()
    ));
    let clip = match &opts.clip {
        Some(c) => c.clone(),
        None => {
            let clip = dir.join("clip.ts");
            let mut spec =
                streamflow_transcoder::testmedia::SegmentSpec::new(640, 360, 30, opts.clip_secs);
            spec.source = "testsrc2".into();
            let path = clip.clone();
            tokio::task::spawn_blocking(move || {
                streamflow_transcoder::testmedia::generate_segment(&spec, &path)
            })
            .await
            .step("clip")?
            .step("generating the clip")?;
            progress(&format!(
                "[demo] clip: {} s of 640x360 at 30 fps (lavfi testsrc2 + a tone), {}",
                opts.clip_secs,
                clip.display()
            ));
            clip
        }
    };
    let names: BTreeMap<Address, &str> = orchs
        .iter()
        .map(|(o, _)| (o.key.address(), o.name))
        .collect();
    let cheater = orchs
        .iter()
        .find(|(o, _)| o.dishonest)
        .map(|(o, _)| o.key.address())
        .unwrap_or_default();
    // A fixed HLS address, so that `--keep-running` serves the output at the URL shown while
    // streaming.
    let http = if opts.http.port() == 0 {
        SocketAddr::new(opts.http.ip(), free_port()?)
    } else {
        opts.http
    };
    let mut passes: Vec<Pass> = Vec::new();
    let mut challenge = None;
    for n in 1..=MAX_PASSES {
        let out_dir = if n == 1 {
            dir.join("broadcast")
        } else {
            dir.join(format!("broadcast-pass{n}"))
        };
        let mut stream = node(&["broadcaster"]);
        chain_args(&mut stream);
        let evidence_port = free_port()?;
        stream
            .arg("stream")
            .arg("--input")
            .arg(&clip)
            .arg("--out-dir")
            .arg(&out_dir)
            .arg("--http")
            .arg(http.to_string())
            .arg("--profiles")
            .arg(&opts.profiles)
            .arg("--verify-rate")
            .arg(opts.verify_rate.to_string())
            .arg("--top-up")
            .arg("0.5eth")
            .arg("--challenge")
            .arg(format!("127.0.0.1:{evidence_port}"));
        progress(&format!(
            "[demo] streaming{} through the registry's orchestrators: {} renditions, {:.0} % of segments checked in full; faults challenged by the broadcaster",
            if n > 1 {
                format!(" again (pass {n})")
            } else {
                String::new()
            },
            opts.profiles,
            opts.verify_rate * 100.0
        ));
        let pass = stream_pass(stream, procs, &logs, &out_dir, &names, n).await?;
        let found = pass
            .challenges
            .iter()
            .find(|c| c.orchestrator == cheater)
            .cloned();
        let cheater_stats = pass.orchestrator(cheater);
        let faults_on_cheater = cheater_stats.faults;
        passes.push(pass);
        if let Some(c) = found {
            challenge = Some(c);
            break;
        }
        if faults_on_cheater > 0 {
            return fail(
                "challenge",
                "the broadcaster caught the cheater but did not open a challenge; see logs/broadcaster.log",
            );
        }
        let why = if cheater_stats.segments > 0 {
            format!(
                "it did {} segment(s), none drawn for the full check",
                cheater_stats.segments
            )
        } else {
            format!(
                "it did no segment ({} failed attempt(s))",
                cheater_stats.failures
            )
        };
        progress(&format!(
            "[demo] pass {n}: the cheater was not caught ({why}); the broadcaster streams the clip again"
        ));
    }
    let Some(last) = passes.last() else {
        return fail("stream", "no stream ran");
    };
    let out_dir = last.out_dir.clone();
    let summary = last.summary.clone();
    let last_url = last.url.clone();
    if let Some(c) = &mut challenge {
        c.challenger = bkey.address();
    }
    if challenge.is_none() {
        return fail(
            "challenge",
            format!("the cheater was not caught in {MAX_PASSES} streams"),
        );
    }

    // --- redemptions
    let mut won = BTreeMap::new();
    for (o, _) in &orchs {
        won.insert(
            o.key.address(),
            metric(
                &client,
                &o.url(),
                "streamflow_orchestrator_tickets_won_total",
            )
            .await
            .unwrap_or(0),
        );
    }
    let total_won: u64 = won.values().sum();
    progress(&format!(
        "[demo] waiting for the keepers to redeem {total_won} winning ticket(s)"
    ));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut redeemed = redemptions(&gov, &d, start_block).await?;
    while (redeemed.values().map(|(n, _)| n).sum::<u64>()) < total_won && Instant::now() < deadline
    {
        // Keepers wait for confirmations: give them blocks.
        mine(&gov, 1).await?;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        redeemed = redemptions(&gov, &d, start_block).await?;
    }
    let slashes = slashes(&gov, &d, start_block).await?;

    // --- the report
    let bm = BondingManager::new(d.bonding_manager, &gov);
    let mut reports = Vec::new();
    for (o, _) in &orchs {
        let a = o.key.address();
        // Every pass paid this orchestrator: its segments and tickets add up.
        let (segments, tickets) = passes.iter().fold((0, 0), |(s, t), p| {
            let o = p.orchestrator(a);
            (s + o.segments, t + o.tickets)
        });
        let balance = gov.get_balance(a).await.step("balance")?;
        let (n, paid) = redeemed.get(&a).copied().unwrap_or((0, U256::ZERO));
        let stake_after = bm
            .delegatorInfo(a)
            .call()
            .await
            .map(|i| i.stake)
            .unwrap_or_default();
        reports.push(OrchestratorReport {
            name: o.name.into(),
            address: a,
            uri: o.url(),
            pool: o.pool.into(),
            dishonest: o.dishonest,
            segments,
            tickets_sent: tickets,
            tickets_won: won.get(&a).copied().unwrap_or(0),
            tickets_redeemed: n,
            paid_wei: paid,
            gas_wei: o.balance_before.saturating_sub(balance),
            slashed_lpt: slashes.get(&a).copied().unwrap_or_default(),
            stake_after,
        });
    }
    let f = |k: &str| summary.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
    let u = |k: &str| summary.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let hls_dir = out_dir.join("hls");
    Ok(Report {
        segments_in: u("segmentsIn"),
        segments_out: u("segmentsOut"),
        renditions: u("renditions"),
        pixels: u("pixels"),
        media_secs: f("mediaSecs"),
        stream_secs: f("wallSecs"),
        sampled: u("sampled"),
        faults: u("faults"),
        failovers: u("failovers"),
        tickets_sent: passes.iter().map(|p| p.orchestrators_tickets()).sum(),
        tickets_won: total_won,
        tickets_redeemed: reports.iter().map(|r| r.tickets_redeemed).sum(),
        orchestrators: reports,
        challenge,
        master_playlist: hls_dir.join("index.m3u8"),
        hls_dir,
        url: last_url,
        passes: passes.len() as u32,
        committee_size: members.len(),
        total_secs: started.elapsed().as_secs_f64(),
    })
}
