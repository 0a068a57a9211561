//! The harness finds each deliberately broken variant of the contracts within the CI budget, shrinks
//! it to a short sequence, and the forge test it writes reproduces the failure.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use streamflow_fuzz::variants::VARIANTS;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary against `variant`; returns (exit code, stdout).
fn run(variant: &str, repro_dir: &Path, regressions: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_streamflow-fuzz"))
        .args([
            "--variant",
            variant,
            "--budget",
            "60",
            "--quiet",
            "--regressions",
        ])
        .arg(regressions)
        .arg("--repro-dir")
        .arg(repro_dir)
        .current_dir(root())
        .output()
        .expect("run streamflow-fuzz");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn minimal_steps(stdout: &str) -> Option<usize> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("minimal sequence: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[test]
fn every_broken_variant_is_found_and_shrunk() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for v in VARIANTS {
        let (code, stdout) = run(v.name, tmp.path(), &tmp.path().join("regressions.txt"));
        println!("--- {}\n{stdout}", v.name);
        assert_eq!(code, Some(1), "{} not found:\n{stdout}", v.name);
        let steps = minimal_steps(&stdout).expect("a minimal sequence");
        assert!(steps <= 8, "{}: minimal sequence of {steps} steps", v.name);
    }
}

#[test]
fn the_written_forge_test_reproduces_the_failure() {
    // Written into the forge project's test tree (forge only compiles files there), then removed.
    let dir = PathBuf::from("contracts/test/repro");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, stdout) = run(
        "slash-does-not-burn",
        &dir,
        &tmp.path().join("regressions.txt"),
    );
    assert_eq!(code, Some(1), "{stdout}");
    let path = stdout
        .lines()
        .find_map(|l| l.strip_prefix("forge reproduction: "))
        .and_then(|l| l.split_whitespace().next())
        .map(PathBuf::from)
        .expect("a forge reproduction");
    // Removed even if an assertion fails: a failing test left in the tree would fail `forge test`.
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _remove = Remove(root().join(&path));
    let out = Command::new(root().join("node_modules/.bin/forge"))
        .args(["test", "--match-path"])
        .arg(&path)
        .current_dir(root())
        .output()
        .expect("run forge");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the replay passed:\n{text}");
    assert!(
        text.contains("[FAIL: LPT conservation"),
        "the replay failed for another reason:\n{text}"
    );
}
