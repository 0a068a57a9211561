#!/usr/bin/env bash
# Every test, in order: Solidity formatting, build, tests with gas snapshots gated, storage layouts,
# then Rust formatting, lints and tests. `.ci/run` calls this through `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "forge fmt --check"
forge fmt --check

step "forge build (warnings are errors)"
forge build --deny warnings

step "forge test (gas snapshots checked against snapshots/)"
profile=default
[ -n "${CI:-}" ] && profile=ci
FORGE_SNAPSHOT_CHECK=true FOUNDRY_PROFILE="$profile" forge test

step "storage layout"
node tools/storage-layout.js selftest >/dev/null
node tools/storage-layout.js check

step "upgrade rehearsal on a real anvil (script/rehearsal.sh)"
script/rehearsal.sh

step "slither (fails on an untriaged High/Medium finding)"
.venv/bin/python tools/audit.py slither

step "halmos (symbolic proofs in contracts/test/symbolic)"
.venv/bin/python tools/audit.py halmos

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "stateful harness over the real bytecode (60 s budget; make fuzz for longer)"
cargo build --workspace --locked -q
target/debug/streamflow-fuzz --budget "${FUZZ_CI_BUDGET:-60}" --quiet
