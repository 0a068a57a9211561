//! Writes a failing sequence out as a forge test that replays it: every balance set, block move,
//! creation and call the harness made (setup included), each asserted to succeed or revert as it
//! did in revm, then the check that failed. An auditor runs it with `forge test --match-path`.

use std::fmt::Write as _;

use alloy::{
    hex,
    primitives::{Address, U256},
    sol_types::SolValue,
};

use crate::{
    chain::Op,
    deploy::InProcessDeployer,
    harness::{Action, ForgeCheck, Violation},
};

/// Everything a generated test needs.
#[derive(Debug)]
pub struct Repro<'a> {
    /// Contract name (a Solidity identifier).
    pub name: &'a str,
    /// The operations to replay, setup first.
    pub journal: &'a [Op],
    /// The actions of the minimal sequence (printed as the test's documentation).
    pub actions: &'a [Action],
    /// The step that failed.
    pub step: usize,
    /// The violation.
    pub violation: &'a Violation,
    /// A line of context for the reader (e.g. which broken variant the world runs).
    pub note: &'a str,
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "'").replace('\n', " ")
}

fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '≤' => "<=".to_string(),
            '≠' => "!=".to_string(),
            '×' => "x".to_string(),
            c if c.is_ascii() => c.to_string(),
            _ => "?".to_string(),
        })
        .collect()
}

/// Renders the forge test. `test_path_depth` is how many directories the file sits below the
/// repository root (for the imports).
pub fn render(r: &Repro<'_>, test_path_depth: usize) -> String {
    let up = "../".repeat(test_path_depth);
    let mut s = String::new();
    let _ = writeln!(s, "// SPDX-License-Identifier: MIT");
    let _ = writeln!(s, "pragma solidity 0.8.30;");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "import {{InProcessDeployer}} from \"{up}script/InProcessDeployer.sol\";"
    );
    let _ = writeln!(
        s,
        "import {{Test}} from \"{up}contracts/test/utils/Test.sol\";"
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "/// @notice Written by the Rust harness (`make fuzz`): a minimal sequence that breaks"
    );
    let _ = writeln!(
        s,
        "/// \"{}\" at step {}.",
        ascii(r.violation.property),
        r.step
    );
    let _ = writeln!(s, "/// {}", ascii(&quote(&r.violation.detail)));
    if !r.note.is_empty() {
        let _ = writeln!(s, "/// {}", ascii(r.note));
    }
    let _ = writeln!(s, "/// Steps:");
    for (i, a) in r.actions.iter().enumerate() {
        let _ = writeln!(s, "///   {:>3}. {a:?}", i + 1);
    }
    let _ = writeln!(s, "contract {} is Test {{", r.name);
    let _ = writeln!(s, "    function test_Replay() public {{");
    let _ = writeln!(s, "        bool ok;");
    let last_call = r
        .journal
        .iter()
        .rposition(|op| matches!(op, Op::Call { .. }));
    for (i, op) in r.journal.iter().enumerate() {
        match op {
            Op::Deal { who, balance } => {
                let _ = writeln!(s, "        vm.deal({who}, {balance});");
            }
            Op::Block(n) => {
                let _ = writeln!(s, "        vm.roll({n});");
                let _ = writeln!(s, "        vm.warp({});", n.saturating_mul(12));
            }
            Op::Create { from, init_code } => {
                let args = init_code
                    .get(InProcessDeployer::BYTECODE.len()..)
                    .unwrap_or_default();
                match <(Address, U256, U256)>::abi_decode_params(args) {
                    Ok((governance, round_length, supply)) => {
                        let _ = writeln!(s, "        vm.prank({from});");
                        let _ = writeln!(
                            s,
                            "        new InProcessDeployer({}, {}, {});",
                            governance, round_length, supply
                        );
                    }
                    Err(_) => {
                        let _ = writeln!(s, "        vm.prank({from});");
                        let _ = writeln!(s, "        _create(hex\"{}\");", hex::encode(init_code));
                    }
                }
            }
            Op::Call {
                from,
                to,
                data,
                value,
                ok,
            } => {
                let _ = writeln!(s, "        vm.prank({from});");
                let _ = if value.is_zero() {
                    writeln!(
                        s,
                        "        (ok,) = {to}.call(hex\"{}\");",
                        hex::encode(data)
                    )
                } else {
                    writeln!(
                        s,
                        "        (ok,) = {to}.call{{value: {value}}}(hex\"{}\");",
                        hex::encode(data)
                    )
                };
                let flip = Some(i) == last_call
                    && matches!(r.violation.check, ForgeCheck::LastCallReverts);
                let _ = if flip {
                    writeln!(
                        s,
                        "        assertFalse(ok, \"{}\");",
                        ascii(&quote(r.violation.property))
                    )
                } else if *ok {
                    writeln!(s, "        assertTrue(ok, \"op {i} succeeds\");")
                } else {
                    writeln!(s, "        assertFalse(ok, \"op {i} reverts\");")
                };
            }
        }
    }
    let msg = ascii(&quote(&format!(
        "{}: {}",
        r.violation.property, r.violation.detail
    )));
    match &r.violation.check {
        ForgeCheck::ViewEq { target, data, want } => {
            let _ = writeln!(
                s,
                "        (bool viewOk, bytes memory ret) = {target}.staticcall(hex\"{}\");",
                hex::encode(data)
            );
            let _ = writeln!(s, "        assertTrue(viewOk, \"view\");");
            let _ = writeln!(
                s,
                "        assertEq(abi.decode(ret, (uint256)), {want}, \"{msg}\");"
            );
        }
        ForgeCheck::BalanceEq { who, want } => {
            let _ = writeln!(s, "        assertEq({who}.balance, {want}, \"{msg}\");");
        }
        ForgeCheck::LastCallReverts => {}
        ForgeCheck::Note => {
            let _ = writeln!(
                s,
                "        // The harness's model found this; the relation has no single view to assert."
            );
            let _ = writeln!(s, "        fail(\"{msg}\");");
        }
    }
    let _ = writeln!(s, "    }}");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "    function _create(bytes memory code) internal returns (address a) {{"
    );
    let _ = writeln!(s, "        assembly {{");
    let _ = writeln!(
        s,
        "            a := create(0, add(code, 0x20), mload(code))"
    );
    let _ = writeln!(s, "        }}");
    let _ = writeln!(s, "    }}");
    let _ = writeln!(s, "}}");
    s
}
