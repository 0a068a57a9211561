//! The processes the demo starts, their key and config files, and waiting on them.

use crate::{Result, Step, fail};
use alloy::signers::local::PrivateKeySigner;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The processes the demo started; each is stopped (SIGTERM, then SIGKILL) by [`Procs::stop_all`],
/// and killed if dropped.
#[derive(Default)]
pub(crate) struct Procs {
    pub(crate) children: Vec<(String, Child)>,
}

impl Procs {
    pub(crate) fn spawn(&mut self, name: &str, mut cmd: Command, logs: &Path) -> Result<()> {
        let log = std::fs::File::create(logs.join(format!("{name}.log"))).step("log file")?;
        let out = log.try_clone().step("log file")?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(log)
            .kill_on_drop(true);
        let child = cmd.spawn().step(&format!("starting {name}"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    pub(crate) fn push(&mut self, name: &str, child: Child) {
        self.children.push((name.to_owned(), child));
    }

    /// Fails if a process exited early.
    pub(crate) fn check_alive(&mut self) -> Result<()> {
        for (name, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                return fail(
                    "processes",
                    format!("{name} exited early ({status}); see its log"),
                );
            }
        }
        Ok(())
    }

    pub(crate) async fn stop_all(&mut self) {
        // Last started first: the broadcaster, verifiers and workers before the orchestrators.
        while let Some((name, mut child)) = self.children.pop() {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                tracing::warn!(target: "demo", %name, "did not stop on SIGTERM; killed");
                let _ = child.kill().await;
            }
        }
    }
}

pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).step("writing a key file")?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .step("chmod 600 a key file")
}

pub(crate) fn key_file(dir: &Path, name: &str, key: &PrivateKeySigner) -> Result<PathBuf> {
    let path = dir.join(name);
    write_private(&path, &format!("0x{}", alloy::hex::encode(key.to_bytes())))?;
    Ok(path)
}

pub(crate) fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").step("free port")?;
    Ok(l.local_addr().step("free port")?.port())
}

pub(crate) async fn wait_http(
    url: &str,
    timeout: Duration,
    procs: &mut Procs,
    what: &str,
) -> Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        procs.check_alive()?;
        if Instant::now() > deadline {
            return fail(what, format!("{url} did not answer within {timeout:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn metric(client: &reqwest::Client, base: &str, name: &str) -> Option<u64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    streamflow_node::orchestrator::metrics::sample(&text, name)
}

pub(crate) async fn run_to_end(mut cmd: Command, step: &str, log: &Path) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().await.step(step)?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::write(log, &text);
    if !out.status.success() {
        return fail(step, format!("{} failed: {}", step, text.trim()));
    }
    Ok(text)
}
