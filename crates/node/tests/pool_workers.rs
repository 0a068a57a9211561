//! The transcoder pool with real `streamflow-node transcoder` processes and real FFmpeg: segments
//! spread over two workers, a worker killed mid-segment, a stalled worker timed out, a tampering
//! public worker caught and refused, wrong secrets refused.

#[path = "common/pool.rs"]
mod common_pool;

use std::time::Duration;

use common_pool::*;
use streamflow_node::pool::{PoolError, Trust};
use streamflow_node::wire::{ApiError, ErrorKind};

const LONG: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_the_segments_and_their_slots_are_the_capacity() {
    let dir = tempfile::tempdir().expect("tmp");
    let orch = Orch::start(options(vec![
        cred("own", "own-secret-0123456789", Trust::Trusted),
        cred("public", "public-secret-0123456789", Trust::Public),
    ]))
    .await;
    let own = secret_file(dir.path(), "own", "own-secret-0123456789");
    let public = secret_file(dir.path(), "public", "public-secret-0123456789");
    let _w1 = spawn_worker(dir.path(), &orch.url, &own, "own", 1, None);
    let _w2 = spawn_worker(dir.path(), &orch.url, &public, "public", 1, None);
    wait_until(LONG, "two workers registered", || {
        orch.remote_workers().len() == 2
    })
    .await;
    assert_eq!(orch.pool.capacity().slots, 2);

    let seg = segment(dir.path(), 1.0);
    let a = orch.pool.reserve().expect("first slot");
    let b = orch.pool.reserve().expect("second slot");
    assert!(
        matches!(
            orch.pool.reserve(),
            Err(PoolError::Busy {
                slots: 2,
                in_flight: 2
            })
        ),
        "a third segment is refused before its body is read"
    );
    let (ra, rb) = within(LONG, "two segments", async {
        tokio::join!(
            orch.pool.transcode(a, job(&seg)),
            orch.pool.transcode(b, job(&seg))
        )
    })
    .await;
    let (ra, rb) = (ra.expect("first"), rb.expect("second"));
    let mut names = vec![
        ra.worker.split('/').next().unwrap_or_default().to_owned(),
        rb.worker.split('/').next().unwrap_or_default().to_owned(),
    ];
    names.sort();
    assert_eq!(names, ["own", "public"], "one segment on each worker");
    for out in [&ra, &rb] {
        assert!(out.retries.is_empty(), "{:?}", out.retries);
        assert_renditions_real(dir.path(), out);
        // The public worker's honest output passed the full check (spot_check = 1).
        assert_eq!(out.audited, out.worker.starts_with("public/"));
    }
    assert_eq!(ra.report.total_pixels(), rb.report.total_pixels());
    let ws = orch.remote_workers();
    assert!(
        ws.iter()
            .all(|w| w.done == 1 && w.failed == 0 && w.busy == 0),
        "{ws:?}"
    );
    assert!(
        ws.iter().all(|w| w.secs_per_pixel.is_some_and(|s| s > 0.0)),
        "{ws:?}"
    );
    assert_eq!(orch.pool.capacity().in_flight, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_segment_is_replaced_and_the_caller_gets_one_answer() {
    let dir = tempfile::tempdir().expect("tmp");
    let orch = Orch::start(options(vec![
        cred("doomed", "doomed-secret-0123456789", Trust::Trusted),
        cred("spare", "spare-secret-0123456789", Trust::Trusted),
    ]))
    .await;
    let doomed = secret_file(dir.path(), "doomed", "doomed-secret-0123456789");
    let spare = secret_file(dir.path(), "spare", "spare-secret-0123456789");
    // `stall` keeps the segment without answering, so the kill surely lands mid-segment.
    let mut w1 = spawn_worker(dir.path(), &orch.url, &doomed, "doomed", 1, Some("stall"));
    wait_until(LONG, "the first worker registered", || {
        orch.remote_workers().len() == 1
    })
    .await;
    let seg = segment(dir.path(), 1.0);
    let slot = orch.pool.reserve().expect("slot");
    let pool = orch.pool.clone();
    let job = job(&seg);
    let caller = tokio::spawn(async move { pool.transcode(slot, job).await });
    wait_until(LONG, "the segment handed out", || {
        w1.log_text().contains("segment received")
    })
    .await;
    w1.child.kill().await.expect("kill the worker");
    let _w2 = spawn_worker(dir.path(), &orch.url, &spare, "spare", 1, None);
    let out = within(LONG, "the segment redone", caller)
        .await
        .expect("join")
        .expect("one answer, a success");
    assert!(out.worker.starts_with("spare/"), "{}", out.worker);
    assert_eq!(out.retries.len(), 1, "{:?}", out.retries);
    assert!(
        out.retries[0].starts_with("doomed/") && out.retries[0].contains("no heartbeat"),
        "lost by death, not by the (120 s) task timeout: {:?}",
        out.retries
    );
    assert_renditions_real(dir.path(), &out);
    let ws = orch.remote_workers();
    assert_eq!(ws.len(), 1, "the dead worker is gone: {ws:?}");
    assert_eq!((ws[0].done, ws[0].busy), (1, 0), "{ws:?}");
    assert_eq!(orch.pool.capacity().in_flight, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_by_sigterm_leaves_and_its_segment_is_redone_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options(vec![
        cred("leaving", "leaving-secret-0123456789", Trust::Trusted),
        cred("spare", "spare-secret-0123456789", Trust::Trusted),
    ]);
    // Long enough that only the worker's own goodbye explains a quick reassignment.
    opts.worker_timeout = Duration::from_secs(600);
    let orch = Orch::start(opts).await;
    let leaving = secret_file(dir.path(), "leaving", "leaving-secret-0123456789");
    let spare = secret_file(dir.path(), "spare", "spare-secret-0123456789");
    let mut w1 = spawn_worker(dir.path(), &orch.url, &leaving, "leaving", 1, Some("stall"));
    wait_until(LONG, "the worker registered", || {
        orch.remote_workers().len() == 1
    })
    .await;
    let seg = segment(dir.path(), 1.0);
    let slot = orch.pool.reserve().expect("slot");
    let pool = orch.pool.clone();
    let job = job(&seg);
    let caller = tokio::spawn(async move { pool.transcode(slot, job).await });
    wait_until(LONG, "the segment handed out", || {
        w1.log_text().contains("segment received")
    })
    .await;
    let pid = w1.child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(killed.success());
    assert_eq!(w1.exit_code(LONG).await, Some(0), "a clean exit on SIGTERM");
    assert!(w1.log_text().contains("left the pool"), "{}", w1.log_text());
    let _w2 = spawn_worker(dir.path(), &orch.url, &spare, "spare", 1, None);
    let out = within(LONG, "the segment redone", caller)
        .await
        .expect("join")
        .expect("success");
    assert!(out.worker.starts_with("spare/"), "{}", out.worker);
    assert_eq!(out.retries.len(), 1, "{:?}", out.retries);
    assert!(out.retries[0].contains("worker left"), "{:?}", out.retries);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_worker_times_out_and_the_segment_is_redone() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options(vec![
        cred("slow", "slow-secret-0123456789", Trust::Trusted),
        cred("spare", "spare-secret-0123456789", Trust::Trusted),
    ]);
    opts.task_timeout = Duration::from_secs(3);
    let orch = Orch::start(opts).await;
    let slow = secret_file(dir.path(), "slow", "slow-secret-0123456789");
    let spare = secret_file(dir.path(), "spare", "spare-secret-0123456789");
    let w1 = spawn_worker(dir.path(), &orch.url, &slow, "slow", 1, Some("stall"));
    let first_session = {
        wait_until(LONG, "the stalling worker registered", || {
            orch.remote_workers().len() == 1
        })
        .await;
        orch.remote_workers()[0].id.clone()
    };
    let seg = segment(dir.path(), 1.0);
    let slot = orch.pool.reserve().expect("slot");
    let pool = orch.pool.clone();
    let first = job(&seg);
    let caller = tokio::spawn(async move { pool.transcode(slot, first).await });
    wait_until(LONG, "the segment handed out", || {
        w1.log_text().contains("segment received")
    })
    .await;
    let _w2 = spawn_worker(dir.path(), &orch.url, &spare, "spare", 1, None);
    let out = within(LONG, "the segment redone", caller)
        .await
        .expect("join")
        .expect("success");
    assert!(out.worker.starts_with("spare/"), "{}", out.worker);
    assert_eq!(out.retries.len(), 1, "{:?}", out.retries);
    assert!(out.retries[0].contains("task timeout"), "{:?}", out.retries);
    assert!(
        out.retries[0].starts_with(&first_session),
        "{:?}",
        out.retries
    );
    // The staller's session was ended; the process (still alive) notices and registers afresh.
    assert!(orch.remote_workers().iter().all(|w| w.id != first_session));
    wait_until(LONG, "the staller registered again", || {
        orch.remote_workers()
            .iter()
            .any(|w| w.id.starts_with("slow/") && w.id != first_session && w.busy == 0)
    })
    .await;
    assert!(w1.log_text().contains("registering again"));
    // Back, unmeasured, but behind the worker that delivers until it delivers itself.
    let again = within(
        LONG,
        "the next segment",
        orch.pool
            .transcode(orch.pool.reserve().expect("slot"), job(&seg)),
    )
    .await
    .expect("success");
    assert!(again.worker.starts_with("spare/"), "{}", again.worker);
    assert!(again.retries.is_empty(), "{:?}", again.retries);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampering_public_worker_is_caught_dropped_refused_and_the_segment_redone() {
    let dir = tempfile::tempdir().expect("tmp");
    let orch = Orch::start(options(vec![
        cred("cheat", "cheat-secret-0123456789", Trust::Public),
        cred("own", "own-secret-0123456789", Trust::Trusted),
    ]))
    .await;
    let cheat = secret_file(dir.path(), "cheat", "cheat-secret-0123456789");
    let own = secret_file(dir.path(), "own", "own-secret-0123456789");
    let mut bad = spawn_worker(dir.path(), &orch.url, &cheat, "cheat", 1, Some("tamper"));
    wait_until(LONG, "the cheat registered", || {
        orch.remote_workers().len() == 1
    })
    .await;
    let seg = segment(dir.path(), 1.0);
    let slot = orch.pool.reserve().expect("slot");
    let pool = orch.pool.clone();
    let job = job(&seg);
    let caller = tokio::spawn(async move { pool.transcode(slot, job).await });
    wait_until(LONG, "the segment handed out", || {
        bad.log_text().contains("segment received")
    })
    .await;
    let _good = spawn_worker(dir.path(), &orch.url, &own, "own", 1, None);
    let out = within(LONG, "the segment redone", caller)
        .await
        .expect("join")
        .expect("success");
    assert!(out.worker.starts_with("own/"), "{}", out.worker);
    assert_eq!(out.retries.len(), 1, "{:?}", out.retries);
    assert!(
        out.retries[0].starts_with("cheat/") && out.retries[0].contains("bad output"),
        "{:?}",
        out.retries
    );
    assert_renditions_real(dir.path(), &out);
    // Dropped: gone from the pool, and the process is told so and stops.
    assert!(
        orch.remote_workers()
            .iter()
            .all(|w| !w.id.starts_with("cheat/"))
    );
    let code = bad.exit_code(LONG).await;
    assert!(matches!(code, Some(c) if c != 0), "exit {code:?}");
    assert!(bad.log_text().contains("dropped for returning bad output"));
    // Refused on reconnect, even behaving.
    let mut again = spawn_worker(dir.path(), &orch.url, &cheat, "cheat-again", 1, None);
    let code = again.exit_code(LONG).await;
    assert!(matches!(code, Some(c) if c != 0), "exit {code:?}");
    assert!(
        again.log_text().contains("Unauthorized"),
        "{}",
        again.log_text()
    );
    assert_eq!(orch.remote_workers().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_and_gets_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options(vec![cred("own", "own-secret-0123456789", Trust::Trusted)]);
    opts.local_slots = 1;
    let orch = Orch::start(opts).await;
    let wrong = secret_file(dir.path(), "wrong", "not-the-secret-0123456789");
    let mut w = spawn_worker(dir.path(), &orch.url, &wrong, "intruder", 1, None);
    let code = w.exit_code(LONG).await;
    assert!(matches!(code, Some(c) if c != 0), "exit {code:?}");
    assert!(w.log_text().contains("Unauthorized"), "{}", w.log_text());
    assert!(orch.remote_workers().is_empty());
    assert_eq!(orch.pool.capacity().slots, 1, "only the local slot");

    // The same refusal over plain HTTP, on every route, and a segment waiting is not handed out.
    let seg = segment(dir.path(), 1.0);
    let _held = orch.pool.reserve().expect("the local slot");
    let http = reqwest::Client::new();
    for (path, body) in [
        (
            "/v1/worker/register",
            r#"{"name":"x","slots":1,"nodeVersion":"0"}"#,
        ),
        ("/v1/worker/0000000000000001/poll", ""),
        ("/v1/worker/0000000000000001/heartbeat", ""),
        ("/v1/worker/0000000000000001/result/1", ""),
    ] {
        for auth in [None, Some("Bearer not-the-secret-0123456789")] {
            let mut req = http
                .post(format!("{}{path}", orch.url))
                .header("content-type", "application/json")
                .body(body);
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let r = req.send().await.expect("send");
            assert_eq!(r.status(), 401, "{path} with {auth:?}");
            let e: ApiError = r.json().await.expect("api error body");
            assert_eq!(e.kind, ErrorKind::Unauthorized);
        }
    }
    drop(seg);
}

#[tokio::test]
async fn misbehaviour_needs_the_explicit_variable() {
    let dir = tempfile::tempdir().expect("tmp");
    let secret = secret_file(dir.path(), "s", "some-secret-0123456789");
    let run = tokio::process::Command::new(NODE_BIN)
        .args([
            "transcoder",
            "--orchestrator",
            "http://127.0.0.1:9",
            "--misbehave",
            "tamper",
        ])
        .arg("--secret-file")
        .arg(&secret)
        .env_remove("STREAMFLOW_ALLOW_MISBEHAVIOUR")
        .kill_on_drop(true)
        .output();
    let out = within(Duration::from_secs(30), "the worker refuses to start", run)
        .await
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("STREAMFLOW_ALLOW_MISBEHAVIOUR=1"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_given_up_by_its_caller_is_taken_back_and_a_late_result_refused() {
    use streamflow_node::pool::protocol::{
        HEADER_RESULT, HEADER_TASK, RegisterAnswer, RegisterRequest, TaskHeader, TaskResult,
    };
    use streamflow_node::wire::{content_hash, decode_header, encode_header};

    let orch = Orch::start(options(vec![cred(
        "raw",
        "raw-secret-0123456789",
        Trust::Trusted,
    )]))
    .await;
    let http = reqwest::Client::new();
    let auth = "Bearer raw-secret-0123456789";
    // A worker spoken by hand, over plain HTTP.
    let reg: RegisterAnswer = http
        .post(format!("{}/v1/worker/register", orch.url))
        .header("authorization", auth)
        .json(&RegisterRequest {
            name: "by-hand".into(),
            slots: 1,
            node_version: "test".into(),
        })
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("answer");
    assert_eq!(reg.trust, Trust::Trusted);
    let seg = std::sync::Arc::new(b"segment bytes".to_vec());
    let slot = orch.pool.reserve().expect("slot");
    let pool = orch.pool.clone();
    let job = job(&seg);
    let caller = tokio::spawn(async move { pool.transcode(slot, job).await });
    let r = http
        .post(format!("{}/v1/worker/{}/poll", orch.url, reg.worker_id))
        .header("authorization", auth)
        .send()
        .await
        .expect("poll");
    assert_eq!(r.status(), 200);
    let head: TaskHeader = decode_header(
        r.headers()
            .get(HEADER_TASK)
            .and_then(|v| v.to_str().ok())
            .expect("task header"),
    )
    .expect("decodes");
    assert_eq!(head.input_hash, content_hash(&seg));
    assert_eq!(head.profiles, ladder());
    assert_eq!(r.bytes().await.expect("body").as_ref(), seg.as_slice());
    assert_eq!(orch.remote_workers()[0].busy, 1);

    // The caller goes away (say, the broadcaster disconnected): the segment is taken back.
    caller.abort();
    let _ = caller.await;
    wait_until(LONG, "the slot freed", || {
        orch.remote_workers()[0].busy == 0 && orch.pool.capacity().in_flight == 0
    })
    .await;
    let late = TaskResult::Failed {
        input_fault: false,
        message: "late".into(),
    };
    let r = http
        .post(format!(
            "{}/v1/worker/{}/result/{}",
            orch.url, reg.worker_id, head.task_id
        ))
        .header("authorization", auth)
        .header(HEADER_RESULT, encode_header(&late).expect("encode"))
        .send()
        .await
        .expect("result");
    assert_eq!(r.status(), 410, "a result for a task taken back is refused");
}
