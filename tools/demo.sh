#!/usr/bin/env bash
# The main job: start a local anvil and deploy the protocol to it with the forge script, print the
# addresses, then read them back through the Rust bindings. anvil keeps running afterwards so you
# can use the deployment; `make stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

PORT="${ANVIL_PORT:-8545}"
RPC="http://127.0.0.1:$PORT"
STATE=.anvil
mkdir -p "$STATE" deployments

if [ -f "$STATE/anvil.pid" ] && kill -0 "$(cat "$STATE/anvil.pid")" 2>/dev/null; then
  echo "stopping the previous anvil (pid $(cat "$STATE/anvil.pid"))"
  kill "$(cat "$STATE/anvil.pid")" && sleep 1
fi
if cast chain-id --rpc-url "$RPC" >/dev/null 2>&1; then
  echo "port $PORT is already serving JSON-RPC (not an anvil started by make demo); set ANVIL_PORT" >&2
  exit 1
fi
anvil --port "$PORT" --silent >"$STATE/anvil.log" 2>&1 &
echo $! >"$STATE/anvil.pid"
for _ in $(seq 50); do cast chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.1; done
cast chain-id --rpc-url "$RPC" >/dev/null || { echo "anvil did not start; see $STATE/anvil.log" >&2; exit 1; }
echo "anvil running on $RPC (pid $(cat "$STATE/anvil.pid"))"

# anvil's first dev account, unlocked: no key is passed anywhere.
SENDER=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
export STREAMFLOW_DEPLOYMENT=deployments/local.json
forge script script/Deploy.s.sol --rpc-url "$RPC" --broadcast --slow --unlocked --sender "$SENDER" -q
echo "deployment written to $STREAMFLOW_DEPLOYMENT:"
cat "$STREAMFLOW_DEPLOYMENT"
echo

cargo build --workspace --locked -q
target/debug/streamflow-status --rpc-url "$RPC" --deployment "$STREAMFLOW_DEPLOYMENT"
