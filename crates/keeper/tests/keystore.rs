//! The orchestrator key from an encrypted keystore: `streamflow-keeper key new|import` as a real
//! process, the password from a file or the environment (never a flag value), and the daemon's
//! config resolving the key from either a keystore or a raw key file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy::signers::local::PrivateKeySigner;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use streamflow_keeper::daemon::{self, Config, DaemonError};

const BIN: &str = env!("CARGO_BIN_EXE_streamflow-keeper");
const PASSWORD: &str = "correct horse battery staple";

fn private_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn keeper(args: &[&str], env_password: Option<&str>) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).env_remove(daemon::PASSWORD_ENV);
    if let Some(p) = env_password {
        c.env(daemon::PASSWORD_ENV, p);
    }
    c.output().unwrap()
}

fn config(
    key_file: Option<&Path>,
    keystore: Option<&Path>,
    password_file: Option<&Path>,
) -> Config {
    let mut text =
        String::from("rpc_url = \"http://127.0.0.1:1\"\ndeployment = \"deployment.json\"\n");
    if let Some(k) = key_file {
        text += &format!("key_file = {:?}\n", k.display().to_string());
    }
    if let Some(k) = keystore {
        text += &format!("keystore = {:?}\n", k.display().to_string());
    }
    if let Some(p) = password_file {
        text += &format!("keystore_password_file = {:?}\n", p.display().to_string());
    }
    toml::from_str(&text).unwrap()
}

fn address_of(out: &Output) -> alloy::primitives::Address {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn key_new_writes_a_private_keystore_that_the_config_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let ks: PathBuf = dir.path().join("orch.json");
    let out = keeper(
        &["key", "new", "--keystore", ks.to_str().unwrap()],
        Some(PASSWORD),
    );
    let address = address_of(&out);
    let mode = std::fs::metadata(&ks).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Web3 Secret Storage JSON, scrypt: no key in clear.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ks).unwrap()).unwrap();
    assert_eq!(json["crypto"]["kdf"], "scrypt");

    // The password from a file (first line; its newline is not part of it).
    let pw = dir.path().join("pw");
    private_file(&pw, &format!("{PASSWORD}\n"));
    let signer = config(None, Some(&ks), Some(&pw)).signer().unwrap();
    assert_eq!(signer.address(), address);

    // A wrong password is named as such and never echoed.
    let bad = dir.path().join("bad");
    private_file(&bad, "hunter2\n");
    let e = config(None, Some(&ks), Some(&bad)).signer().unwrap_err();
    let text = e.to_string();
    assert!(text.contains("wrong password"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    // An existing keystore is never overwritten.
    let again = keeper(
        &["key", "new", "--keystore", ks.to_str().unwrap()],
        Some(PASSWORD),
    );
    assert!(!again.status.success());
    assert_eq!(
        daemon::load_keystore(&ks, PASSWORD.as_bytes())
            .unwrap()
            .address(),
        address
    );
}

#[test]
fn key_import_encrypts_the_raw_key_file_and_either_source_loads() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("orch.key");
    let key = PrivateKeySigner::random();
    private_file(&raw, &format!("0x{}\n", alloy::hex::encode(key.to_bytes())));
    let ks = dir.path().join("orch.json");
    let pw = dir.path().join("pw");
    private_file(&pw, PASSWORD);
    let out = keeper(
        &[
            "key",
            "import",
            "--from",
            raw.to_str().unwrap(),
            "--keystore",
            ks.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(address_of(&out), key.address());
    // The key never appears in what the command printed.
    let hex = alloy::hex::encode(key.to_bytes());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&hex));
    assert!(!std::fs::read_to_string(&ks).unwrap().contains(&hex));

    // The raw key file stays an option; both give the same account.
    assert_eq!(
        config(Some(&raw), None, None).signer().unwrap().address(),
        key.address()
    );
    assert_eq!(
        config(None, Some(&ks), Some(&pw))
            .signer()
            .unwrap()
            .address(),
        key.address()
    );
    // Both at once, or neither, is a configuration error.
    assert!(matches!(
        config(Some(&raw), Some(&ks), Some(&pw)).signer(),
        Err(DaemonError::Config(_))
    ));
    assert!(matches!(
        config(None, None, None).signer(),
        Err(DaemonError::Config(_))
    ));
    // A password file others can read is refused.
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = config(None, Some(&ks), Some(&pw)).signer().unwrap_err();
    assert!(e.to_string().contains("readable by others"), "{e}");
}

#[test]
fn without_a_password_source_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let ks = dir.path().join("orch.json");
    let out = keeper(&["key", "new", "--keystore", ks.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("KEEPER_KEYSTORE_PASSWORD"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!ks.exists());
    // An empty password is refused too.
    let out = keeper(
        &["key", "new", "--keystore", ks.to_str().unwrap()],
        Some(""),
    );
    assert!(!out.status.success());
    assert!(!ks.exists());
}

/// `streamflow-keeper run` takes its key from the keystore named in the config: a wrong password
/// stops it at start with that reason; the right one gets it past the key to the next step.
#[test]
fn run_reads_the_key_from_the_configured_keystore() {
    let dir = tempfile::tempdir().unwrap();
    let ks = dir.path().join("orch.json");
    let pw = dir.path().join("pw");
    private_file(&pw, PASSWORD);
    let out = keeper(
        &[
            "key",
            "new",
            "--keystore",
            ks.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ],
        None,
    );
    address_of(&out);
    let bad = dir.path().join("bad");
    private_file(&bad, "hunter2");
    let conf = dir.path().join("keeper.toml");
    let write_conf = |password_file: &Path| {
        std::fs::write(
            &conf,
            format!(
                "rpc_url = \"http://127.0.0.1:1\"\ndeployment = {:?}\nkeystore = {:?}\nkeystore_password_file = {:?}\ndb = {:?}\n",
                dir.path().join("missing-deployment.json").display().to_string(),
                ks.display().to_string(),
                password_file.display().to_string(),
                dir.path().join("k.db").display().to_string(),
            ),
        )
        .unwrap();
    };
    write_conf(&bad);
    let out = keeper(&["--config", conf.to_str().unwrap(), "run"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong password"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    write_conf(&pw);
    let out = keeper(&["--config", conf.to_str().unwrap(), "run"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("password") && !err.contains("key file"),
        "{err}"
    );
    assert!(err.contains("missing-deployment.json"), "{err}");
}
