# The two commands a newcomer needs (see README.md):
#   make demo   install what it needs, start a local anvil, deploy the protocol, read it back
#   make test   install everything (auditor tools included), run every test (what .ci/run runs)
.PHONY: setup setup-audit demo test audit fuzz fuzz-bench stop layout-update rehearsal transcoder-calibration

# What the main job needs: Debian packages (FFmpeg, clang), the pinned npm tools, a Rust check.
setup:
	@tools/setup.sh

# The above plus the auditor tools (slither, halmos) in .venv.
setup-audit:
	@tools/setup.sh --audit

demo: setup
	@tools/demo.sh

test: setup-audit
	@tools/test.sh

# Auditor suite: slither gate, halmos proofs, coverage, and a dated report in reports/.
audit: setup-audit
	@.venv/bin/python tools/audit.py report

# Stateful harness over the real bytecode in revm (crates/fuzz): FUZZ_BUDGET seconds (default 60),
# FUZZ_SEED (default 0x5f). A failure prints its minimal sequence and writes contracts/test/repro/*.t.sol.
fuzz: setup
	@cargo build --workspace --locked -q && target/debug/streamflow-fuzz --budget $${FUZZ_BUDGET:-60} --seed $${FUZZ_SEED:-0x5f}

# Harness steps/s against forge's invariant runner on the same action mix, in one run.
fuzz-bench: setup
	@cargo build --workspace --locked -q && target/debug/streamflow-fuzz bench --budget $${FUZZ_BUDGET:-30}

# Stops the anvil that `make demo` left running, and says what it stopped.
stop:
	@tools/demo.sh stop

# After an intended, compatible storage change (appended fields): refresh storage-layout/.
layout-update:
	@node_modules/.bin/forge build && node tools/storage-layout.js update

# Upgrade rehearsal on a fresh anvil: populate, upgrade every proxy through the timelock, diff state.
rehearsal:
	@node_modules/.bin/forge build && script/rehearsal.sh

# Transcoder verifier on real footage, the long run: honest margins over every encoder, preset and
# scaler, and the tamper x level table (CI runs a representative subset of both).
transcoder-calibration: setup-audit
	@cargo test -p streamflow-transcoder --test real -- --ignored --nocapture --test-threads=1
