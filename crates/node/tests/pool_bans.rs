//! A worker caught returning bad output stays banned across a restart of the pool: the ban is kept
//! in the node's database (`PoolOptions::state_db`, opened by `Pool::open`), and a pool opened
//! again on it refuses the same secret, while a new secret for the same machine is accepted.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pool.rs"]
mod common;

use std::time::Duration;

use common::{cred, job, options, secret_file, segment, spawn_worker, wait_until, within};
use streamflow_node::pool::{Pool, PoolOptions, Trust};

const LONG: Duration = Duration::from_secs(120);

/// A pool opened on its database and served on a random loopback port; stopped on drop.
struct Served {
    pool: Pool,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Served {
    async fn open(options: PoolOptions) -> Self {
        let pool = Pool::open(options).expect("pool with its database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = pool.worker_router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            pool,
            url,
            stop: Some(tx),
        }
    }

    fn remote(&self) -> usize {
        self.pool
            .workers()
            .iter()
            .filter(|w| w.id != "local")
            .count()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_secret_stays_refused_after_a_restart() {
    streamflow_transcoder::quiet_ffmpeg(false);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("node.db");
    let opts = || PoolOptions {
        state_db: Some(db.clone()),
        ..options(vec![
            cred("cheat", "cheat-secret-0123456789", Trust::Public),
            cred("own", "own-secret-0123456789", Trust::Trusted),
            cred("fresh", "fresh-secret-0123456789", Trust::Public),
        ])
    };
    let cheat = secret_file(dir.path(), "cheat", "cheat-secret-0123456789");
    let own = secret_file(dir.path(), "own", "own-secret-0123456789");
    {
        let served = Served::open(opts()).await;
        let mut bad = spawn_worker(dir.path(), &served.url, &cheat, "cheat", 1, Some("tamper"));
        wait_until(LONG, "the cheat registered", || served.remote() == 1).await;
        let seg = segment(dir.path(), 1.0);
        let slot = served.pool.reserve().expect("slot");
        let pool = served.pool.clone();
        let caller = tokio::spawn(async move { pool.transcode(slot, job(&seg)).await });
        wait_until(LONG, "the segment handed out", || {
            bad.log_text().contains("segment received")
        })
        .await;
        let _good = spawn_worker(dir.path(), &served.url, &own, "own", 1, None);
        let out = within(LONG, "the segment redone", caller)
            .await
            .unwrap()
            .expect("success");
        assert!(out.worker.starts_with("own/"), "{}", out.worker);
        assert!(bad.exit_code(LONG).await.is_some_and(|c| c != 0));
    }

    // The pool restarts on the same database: the cheat's secret is still refused, even behaving.
    let served = Served::open(opts()).await;
    let mut again = spawn_worker(dir.path(), &served.url, &cheat, "cheat-again", 1, None);
    let code = again.exit_code(LONG).await;
    assert!(matches!(code, Some(c) if c != 0), "exit {code:?}");
    assert!(
        again.log_text().contains("Unauthorized"),
        "{}",
        again.log_text()
    );
    assert_eq!(served.remote(), 0);
    // The same machine with a new secret is a new worker: accepted.
    let fresh = secret_file(dir.path(), "fresh", "fresh-secret-0123456789");
    let _ok = spawn_worker(dir.path(), &served.url, &fresh, "fresh", 1, None);
    wait_until(LONG, "the new secret registered", || served.remote() == 1).await;
}
