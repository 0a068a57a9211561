//! Compiles the contracts with forge so that `sol!` can read fresh artifacts from `out/`.
//!
//! forge comes from the repository's pinned npm packages (`make setup` installs them). The build is
//! incremental: when nothing under `contracts/` or `script/` changed, forge returns at once.

use std::{env, path::PathBuf, process::Command};

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest
        .join("../..")
        .canonicalize()
        .expect("repository root");
    for watched in [
        "contracts/src",
        "script",
        "foundry.toml",
        "package-lock.json",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=STREAMFLOW_SKIP_FORGE");
    if env::var_os("STREAMFLOW_SKIP_FORGE").is_some() {
        return;
    }

    let forge = root.join("node_modules/.bin/forge");
    if !forge.exists() {
        panic!(
            "forge not found at {}: run `make setup` first",
            forge.display()
        );
    }
    let status = Command::new(&forge)
        .arg("build")
        .current_dir(&root)
        .status()
        .unwrap_or_else(|e| panic!("failed to run {}: {e}", forge.display()));
    if !status.success() {
        panic!(
            "forge build failed ({status}); fix the contracts or run it by hand in {}",
            root.display()
        );
    }
}
