# The two commands a newcomer needs (see README.md):
#   make demo   install everything, start a local anvil, deploy the protocol, read it back
#   make test   install everything, run every test (what .ci/run runs)
.PHONY: setup demo test audit stop layout-update transcoder-calibration

setup:
	@tools/setup.sh

demo: setup
	@tools/demo.sh

test: setup
	@tools/test.sh

# Auditor suite: slither gate, halmos proofs, coverage, and a dated report in reports/.
audit: setup
	@.venv/bin/python tools/audit.py report

stop:
	@if [ -f .anvil/anvil.pid ]; then kill "$$(cat .anvil/anvil.pid)" 2>/dev/null || true; rm -f .anvil/anvil.pid; fi

# After an intended, compatible storage change (appended fields): refresh storage-layout/.
layout-update:
	@node_modules/.bin/forge build && node tools/storage-layout.js update

# Transcoder verifier on real footage, the long run: honest margins over every encoder, preset and
# scaler, and the tamper x level table (CI runs a representative subset of both).
transcoder-calibration: setup
	@cargo test -p streamflow-transcoder --test real -- --ignored --nocapture --test-threads=1
