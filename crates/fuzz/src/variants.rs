//! Deliberately broken variants of the contracts, to show the harness finds what it claims to.
//!
//! A variant is a one-line patch of a source file. It is applied to a copy of `contracts/src` in
//! `target/fuzz-variants/<name>/`, and only the affected implementation is compiled there with forge
//! (`forge build <file>`), into that directory's own `out/`. The creation code is cached by the hash
//! of the patched source, so a second run compiles nothing. The world then deploys the protocol from
//! the real sources as usual and upgrades the affected proxy to the broken implementation (the
//! Controller's `upgradeProxy`, as governance would), so everything else is exactly main's bytecode.
//! An implementation that takes an admin extension (the BondingManager, `constructor(controller,
//! admin)`) gets one compiled from the same patched copy and deployed just before it.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use alloy::{
    hex,
    primitives::{Address, Bytes, keccak256},
};

use crate::deploy::Protocol;

/// A one-line patch that breaks a property.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// Name used on the command line (`--variant`).
    pub name: &'static str,
    /// What is broken, for people.
    pub what: &'static str,
    /// Source file, relative to the repository root.
    pub file: &'static str,
    /// Text replaced (must occur exactly once).
    pub find: &'static str,
    /// Replacement.
    pub replace: &'static str,
    /// Contract compiled from `file`'s dependents: the implementation swapped in.
    pub source: &'static str,
    /// Its name.
    pub contract: &'static str,
    /// The proxy upgraded to it.
    pub proxy: fn(&Protocol) -> Address,
    /// The admin extension the implementation is constructed with, if it takes one: source file
    /// and contract name, compiled from the same patched copy and deployed first.
    pub admin: Option<(&'static str, &'static str)>,
}

/// The creation code of a variant: the implementation, and its admin extension if it takes one.
#[derive(Debug, Clone)]
pub struct VariantCode {
    /// Creation code of the implementation (constructor arguments not appended).
    pub implementation: Bytes,
    /// Creation code of its admin extension (constructor arguments not appended).
    pub admin: Option<Bytes>,
}

/// Every broken variant the harness is shown to catch.
pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "used-flag-not-set",
        what: "a redeemed ticket is not marked used (TicketBroker never writes usedTickets)",
        file: "contracts/src/TicketBroker.sol",
        find: "$.usedTickets[h] = true;",
        replace: "",
        source: "contracts/src/TicketBroker.sol",
        contract: "TicketBroker",
        proxy: |p| p.broker,
        admin: None,
    },
    Variant {
        name: "allocation-cap-removed",
        what: "a reserve claim takes the whole reserve (ReserveLib.available ignores the allocation)",
        file: "contracts/src/libraries/ReserveLib.sol",
        find: "return Math.min(allocation - claimed, reserve);",
        replace: "return reserve;",
        source: "contracts/src/TicketBroker.sol",
        contract: "TicketBroker",
        proxy: |p| p.broker,
        admin: None,
    },
    Variant {
        name: "slash-does-not-burn",
        what: "a slash pays the finder but does not burn the rest (BondingManagerAdmin.slash)",
        file: "contracts/src/BondingManagerAdmin.sol",
        find: "if (slashed != finderFee) token.burn(slashed - finderFee);",
        replace: "",
        source: "contracts/src/BondingManager.sol",
        contract: "BondingManager",
        proxy: |p| p.bonding_manager,
        admin: Some((
            "contracts/src/BondingManagerAdmin.sol",
            "BondingManagerAdmin",
        )),
    },
];

/// Finds a variant by name.
pub fn by_name(name: &str) -> Option<&'static Variant> {
    VARIANTS.iter().find(|v| v.name == name)
}

/// Errors building a variant.
#[derive(Debug, thiserror::Error)]
pub enum VariantError {
    /// Filesystem or process error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The patch does not apply (the source changed): update the variant.
    #[error("the patch of {file} does not apply: `{find}` occurs {count} times")]
    Patch {
        /// File.
        file: &'static str,
        /// Text looked for.
        find: &'static str,
        /// Occurrences found.
        count: usize,
    },
    /// forge failed to compile the patched copy.
    #[error("forge build of the variant failed:\n{0}")]
    Forge(String),
    /// The artifact had no creation code.
    #[error("no creation code in {0}")]
    Artifact(PathBuf),
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The creation code of the broken implementation and of its admin extension if it takes one
/// (compiled once, then cached).
pub fn creation_code(root: &Path, v: &Variant) -> Result<VariantCode, VariantError> {
    let original = fs::read_to_string(root.join(v.file))?;
    let count = original.matches(v.find).count();
    if count != 1 {
        return Err(VariantError::Patch {
            file: v.file,
            find: v.find,
            count,
        });
    }
    let patched = original.replacen(v.find, v.replace, 1);
    let dir = root.join("target/fuzz-variants").join(v.name);
    // The key covers the whole source tree, so a change anywhere in contracts/src rebuilds.
    let mut all = Vec::new();
    collect(&root.join("contracts/src"), &mut all)?;
    all.extend_from_slice(patched.as_bytes());
    let key = hex::encode(&keccak256(&all)[..8]);
    let cached = |contract: &str| dir.join(format!("{contract}-{key}.hex"));
    let read = |contract: &str| -> Option<Bytes> {
        let code = fs::read_to_string(cached(contract)).ok()?;
        hex::decode(code.trim()).ok().map(Into::into)
    };
    if let Some(implementation) = read(v.contract) {
        match v.admin {
            None => {
                return Ok(VariantCode {
                    implementation,
                    admin: None,
                });
            }
            Some((_, admin)) => {
                if let Some(admin) = read(admin) {
                    return Ok(VariantCode {
                        implementation,
                        admin: Some(admin),
                    });
                }
            }
        }
    }
    // A tree of this process's own: two runs with a cold cache (the variant tests run in parallel)
    // must not delete or overwrite each other's build; the cache files are renamed into place.
    let tree = dir.join(format!("tree-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tree);
    copy_dir(&root.join("contracts/src"), &tree.join("contracts/src"))?;
    fs::create_dir_all(tree.join("tools"))?;
    for f in ["foundry.toml", "tools/solc", "tools/solc.js"] {
        fs::copy(root.join(f), tree.join(f))?;
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("node_modules"), tree.join("node_modules"))?;
    fs::write(tree.join(v.file), patched)?;
    let mut sources = vec![v.source];
    sources.extend(v.admin.map(|(source, _)| source));
    let out = Command::new(root.join("node_modules/.bin/forge"))
        .arg("build")
        .args(&sources)
        .args(["--out", "out", "--cache-path", "cache"])
        .current_dir(&tree)
        .output()?;
    if !out.status.success() {
        return Err(VariantError::Forge(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let store = |contract: &str, code: &Bytes| -> Result<(), VariantError> {
        let tmp = tree.join(format!("{contract}.hex"));
        fs::write(&tmp, hex::encode(code))?;
        fs::rename(&tmp, cached(contract))?;
        Ok(())
    };
    let implementation = artifact_code(&tree, v.source, v.contract)?;
    store(v.contract, &implementation)?;
    let admin = match v.admin {
        None => None,
        Some((source, contract)) => {
            let code = artifact_code(&tree, source, contract)?;
            store(contract, &code)?;
            Some(code)
        }
    };
    let _ = fs::remove_dir_all(&tree);
    Ok(VariantCode {
        implementation,
        admin,
    })
}

/// The creation code of `contract` (from `source`) in the copy's `out/`.
fn artifact_code(tree: &Path, source: &str, contract: &str) -> Result<Bytes, VariantError> {
    let file_name = Path::new(source)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let artifact = tree
        .join("out")
        .join(file_name)
        .join(format!("{contract}.json"));
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&artifact)?)
        .map_err(|_| VariantError::Artifact(artifact.clone()))?;
    let code = json["bytecode"]["object"]
        .as_str()
        .map(|s| s.trim_start_matches("0x").to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| VariantError::Artifact(artifact.clone()))?;
    Ok(hex::decode(code)
        .map_err(|_| VariantError::Artifact(artifact))?
        .into())
}

fn collect(dir: &Path, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_type()?.is_dir() {
            collect(&e.path(), out)?;
        } else {
            out.extend_from_slice(e.file_name().to_string_lossy().as_bytes());
            out.extend_from_slice(&fs::read(e.path())?);
        }
    }
    Ok(())
}
