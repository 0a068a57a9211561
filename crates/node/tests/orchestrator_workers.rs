//! Paid segments through one orchestrator and two remote transcoder workers (real processes, real
//! anvil): the orchestrator has no in-process slot, so its capacity is the workers' and two
//! concurrent segments are transcoded by them, each answered with correct renditions and a receipt
//! signed by the orchestrator.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/orch.rs"]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::U256;
use common::{ETHER, Net, Node, SERVICE, bin, job, ladder, segment, wait_for};
use streamflow_node::wire::{self, QuoteRequest};
use streamflow_protocol::ecdsa::recover;
use streamflow_protocol::receipt::fault_verifier_domain;

struct Worker(Child);

impl Worker {
    fn start(url: &str, secret: &std::path::Path, name: &str) -> Self {
        let child = Command::new(bin())
            .args(["transcoder", "--orchestrator", url, "--secret-file"])
            .arg(secret)
            .args(["--slots", "1", "--name", name])
            .env("STREAMFLOW_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn a worker");
        Self(child)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn secret(dir: &std::path::Path, name: &str, value: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{name}.secret"));
    std::fs::write(&p, value).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_transcode_paid_segments_for_the_orchestrator() {
    streamflow_transcoder::quiet_ffmpeg(false);
    let net = Net::start(40).await;
    let rack = secret(
        net.dir.path(),
        "rack",
        "a-long-secret-for-the-trusted-rack-1",
    );
    let public = secret(
        net.dir.path(),
        "public",
        "another-long-secret-for-a-public-one",
    );
    let text = std::fs::read_to_string(&net.config).unwrap().replace(
        "local_slots = 1\n",
        &format!(
            "local_slots = 0\n\n[[pool.workers]]\nname = \"rack\"\nsecret_file = \"{}\"\ntrust = \"trusted\"\n\n[[pool.workers]]\nname = \"public\"\nsecret_file = \"{}\"\ntrust = \"public\"\n",
            rack.display(),
            public.display()
        ),
    );
    std::fs::write(&net.config, text).unwrap();
    net.register();
    net.next_round().await;
    let alice = net.sender(2, 10 * ETHER, ETHER).await;
    let node = Node::start(&net).await;
    let o = &node.client;
    let _w1 = Worker::start(&node.url, &rack, "rack");
    let _w2 = Worker::start(&node.url, &public, "public");
    let req = QuoteRequest {
        sender: alice.address(),
        service_id: wire::service_id(SERVICE),
        region: None,
    };
    // Both workers connected: the capacity quoted is theirs.
    assert!(
        wait_for(Duration::from_secs(60), || async {
            o.quote(&req).await.is_ok_and(|q| q.capacity.slots == 2)
        })
        .await,
        "workers did not connect: {:?}",
        o.quote(&req).await.map(|q| q.capacity)
    );
    let quote = o.quote(&req).await.unwrap();
    let p = &quote.ticket_params;
    let a = segment(320, 240, 25, 2.0);
    let b = segment(320, 240, 30, 1.5);
    let (ta, _) = alice.ticket(p);
    let (tb, _) = alice.ticket(p);
    let (ja, jb) = (job(&a, 1, ladder()), job(&b, 2, ladder()));
    let (pa, pb) = (alice.payment(p, vec![ta]), alice.payment(p, vec![tb]));
    // At once: one slot each.
    let (ra, rb) = tokio::join!(
        o.segment(&ja, &pa, a.clone()),
        o.segment(&jb, &pb, b.clone())
    );
    let sep = fault_verifier_domain(net.d().chain_id, net.d().fault_verifier).separator();
    for (r, frames) in [(ra.unwrap(), 50u64), (rb.unwrap(), 45)] {
        assert_eq!(r.renditions.len(), 2);
        for x in &r.renditions {
            assert_eq!(
                x.pixels,
                u64::from(x.width) * u64::from(x.height) * x.frames
            );
            assert_eq!(x.frames, frames);
            let bytes = o.rendition(x.output_hash).await.unwrap();
            assert_eq!(wire::content_hash(&bytes), x.output_hash);
        }
        let digest = r.receipt.receipt.digest(&sep).unwrap();
        let sig: [u8; 65] = r.receipt.signature.as_ref().try_into().unwrap();
        assert_eq!(recover(&digest, &sig), Some(net.orch.address()));
        assert_eq!(r.balance.received, U256::from(common::TICKET_EV));
    }
    assert_eq!(node.counter("segments_served_total").await, 2);
}
