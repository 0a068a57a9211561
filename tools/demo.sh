#!/usr/bin/env bash
# The main job, in steps (each one a function below; add a step by writing a function and listing
# it in STEPS):
#   1. start a local anvil;
#   2. compile the contracts;
#   3. deploy the protocol with the forge script and record it in deployments/local.json;
#   4. initialize round 1, so that tickets can be created in it;
#   5. build the Rust tools;
#   6. read the deployment back through the Rust bindings (streamflow-status);
#   7. the main job (streamflow-demo): a committee of three verifiers, three orchestrators
#      registered with stake (one dishonest), their pools (two with a remote transcoder worker),
#      their keepers, and a broadcaster streaming a generated 20 s clip paid with tickets; the
#      cheater caught by the broadcaster's sampled full check, challenged by the broadcaster
#      (--challenge), judged by the committee and slashed; a summary. Every process it started is
#      stopped (DEMO_ARGS=--keep-running: after Ctrl-C, the HLS output served meanwhile).
# then say what is still running and what to try next. anvil keeps running afterwards.
#
# DEMO_ARGS passes flags to streamflow-demo (e.g. DEMO_ARGS="--keep-running --clip my.mp4").
#
#   tools/demo.sh        run it (`make demo`)
#   tools/demo.sh stop   stop the anvil it left running (`make stop`)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

PORT="${ANVIL_PORT:-8545}"
RPC="http://127.0.0.1:$PORT"
STATE=.anvil
DEPLOYMENT=deployments/local.json
# anvil's first dev account, unlocked on the dev chain: no key is passed anywhere.
SENDER=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266

STEPS=(start_anvil compile_contracts deploy_protocol initialize_round build_tools show_status paid_stream)

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
step_header() { printf '\n\033[1;34m==> [%s/%s] %s\033[0m\n' "$1" "${#STEPS[@]}" "$2"; }
elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Shows the command, then runs it. When the output is not a terminal (where forge and cargo draw
# their own progress), prints a line every 30 s so that a long compile never looks like a hang.
run() {
  printf '    $ %s\n' "$*"
  if [ -t 1 ]; then
    "$@"
    return
  fi
  "$@" &
  local pid=$! start=$SECONDS next=30
  trap 'kill "$pid" 2>/dev/null' INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - start >= next)); then
      printf '    ... still running (%s): %s\n' "$(elapsed $((SECONDS - start)))" "$1 $2"
      next=$((next + 30))
    fi
  done
  trap - INT TERM
  wait "$pid"
}

json_field() { node -p "require('./$DEPLOYMENT').$1"; }

# The pid of the anvil `make demo` started, if it still runs (and is still an anvil).
running_anvil() {
  [ -f "$STATE/anvil.pid" ] || return 1
  local pid
  pid="$(cat "$STATE/anvil.pid")"
  kill -0 "$pid" 2>/dev/null && [ "$(ps -o comm= -p "$pid")" = anvil ] && echo "$pid"
}

stop_anvil() {
  local pid url
  url="$(cat "$STATE/anvil.url" 2>/dev/null || echo "unknown URL")"
  if pid="$(running_anvil)"; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "stopped anvil (pid $pid, $url)"
    rm -f "$STATE/anvil.pid" "$STATE/anvil.url"
  else
    echo "nothing to stop: no anvil started by make demo is running"
    rm -f "$STATE/anvil.pid" "$STATE/anvil.url"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------- steps

start_anvil() {
  mkdir -p "$STATE" deployments
  if running_anvil >/dev/null; then
    printf '    the previous demo is still running: '
    stop_anvil
  fi
  if cast chain-id --rpc-url "$RPC" >/dev/null 2>&1; then
    echo "port $PORT is already serving JSON-RPC (not an anvil started by make demo): stop it, or" \
      "choose another port with ANVIL_PORT=8546 make demo" >&2
    exit 1
  fi
  printf '    $ anvil --port %s  (log in %s/anvil.log)\n' "$PORT" "$STATE"
  anvil --port "$PORT" >"$STATE/anvil.log" 2>&1 &
  echo $! >"$STATE/anvil.pid"
  echo "$RPC" >"$STATE/anvil.url"
  for _ in $(seq 100); do cast chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.1; done
  cast chain-id --rpc-url "$RPC" >/dev/null 2>&1 || {
    echo "anvil did not start; see $STATE/anvil.log" >&2
    exit 1
  }
  echo "    anvil is running on $RPC (pid $(cat "$STATE/anvil.pid"), chain id $(cast chain-id --rpc-url "$RPC"))"
}

compile_contracts() {
  echo "    solc-js compiles ~170 files: 2-5 minutes on a first run (no progress bar off a terminal), seconds afterwards."
  run forge build
}

deploy_protocol() {
  echo "    about 30 transactions from anvil's first dev account ($SENDER), which becomes governance"
  echo "    and receives the genesis LPT supply."
  # STREAMFLOW_RPC_URL is recorded in the deployment file, so that the tools find this chain.
  STREAMFLOW_DEPLOYMENT="$DEPLOYMENT" STREAMFLOW_RPC_URL="$RPC" \
    run forge script script/Deploy.s.sol --rpc-url "$RPC" --broadcast --slow --unlocked --sender "$SENDER"
  echo "    deployment written to $DEPLOYMENT (first block $(json_field deployBlock))"
}

initialize_round() {
  local rounds round
  rounds="$(json_field roundsManager)"
  round="$(cast call "$rounds" "currentRound()(uint256)" --rpc-url "$RPC")"
  echo "    Each round must be initialized by someone (anyone) before tickets can be created in it:"
  echo "    initializeRound() records the block hash that tickets of the round carry."
  printf '    $ cast send %s "initializeRound()" --rpc-url %s --unlocked --from %s\n' "$rounds" "$RPC" "$SENDER"
  cast send "$rounds" "initializeRound()" --rpc-url "$RPC" --unlocked --from "$SENDER" --json >"$STATE/initialize-round.json"
  echo "    transaction $(node -p "require('./$STATE/initialize-round.json').transactionHash")"
  echo "    round $round initialized; its block hash (a ticket's creationRoundBlockHash):"
  echo "    $(cast call "$rounds" "blockHashForRound(uint256)(bytes32)" "$round" --rpc-url "$RPC")"
}

build_tools() {
  echo "    the whole Rust workspace: 3-10 minutes on a first run, seconds afterwards."
  run cargo build --workspace --locked
}

show_status() {
  run target/debug/streamflow-status --deployment "$DEPLOYMENT"
}

paid_stream() {
  echo "    3 committee members, 3 orchestrators (orch-c's trusted worker blurs its renditions), 2 transcoder"
  echo "    workers, 1 broadcaster: each a streamflow-node process (logs in .demo/logs/)."
  # shellcheck disable=SC2086
  run target/debug/streamflow-demo --rpc-url "$RPC" --deployment "$DEPLOYMENT" --work-dir .demo ${DEMO_ARGS:-}
}

closing_message() {
  echo
  bold "Done in $(elapsed "$SECONDS"). Still running:"
  echo "  anvil on $RPC (pid $(cat "$STATE/anvil.pid"), chain id $(cast chain-id --rpc-url "$RPC"), log $STATE/anvil.log)"
  echo "  with the protocol deployed as recorded in $DEPLOYMENT, and the demo's state on it"
  echo "  (stake, the slash, redeemed tickets)."
  echo
  bold "Watch the stream:"
  echo "  ffplay .demo/broadcast/hls/index.m3u8      (or open it in VLC, mpv or any HLS player)"
  echo "  .demo/broadcast/receipts.jsonl             the signed receipt of every segment"
  echo
  bold "Stop it:"
  echo "  make stop"
  echo
  bold "Try next:"
  echo "  target/debug/streamflow-status               the protocol's state (reads $DEPLOYMENT)"
  echo "  node_modules/.bin/cast rpc anvil_mine 50 --rpc-url $RPC   the next round (50 blocks);"
  echo "      then initialize it: node_modules/.bin/cast send $(json_field roundsManager) 'initializeRound()' \\"
  echo "        --rpc-url $RPC --unlocked --from $SENDER"
  echo "  docs/clients.md      sign and redeem tickets against this chain (EIP-712 domain, gas)"
  echo "  docs/protocol.md     what the protocol does;  docs/architecture.md  how the code is laid out"
  echo "  make test            every test (installs the auditor tools first)"
}

main() {
  local i=0 name start
  for name in "${STEPS[@]}"; do
    i=$((i + 1))
    step_header "$i" "$(step_title "$name")"
    start=$SECONDS
    "$name"
    echo "    done in $(elapsed $((SECONDS - start)))"
  done
  closing_message
}

step_title() {
  case "$1" in
    start_anvil) echo "Start a local anvil on $RPC" ;;
    compile_contracts) echo "Compile the contracts (forge build)" ;;
    deploy_protocol) echo "Deploy the protocol (forge script script/Deploy.s.sol)" ;;
    initialize_round) echo "Initialize the current round (RoundsManager.initializeRound)" ;;
    build_tools) echo "Build the Rust tools (cargo build --workspace)" ;;
    show_status) echo "Read the deployment back through the Rust bindings (streamflow-status)" ;;
    paid_stream) echo "The main job: a paid stream, a cheater caught and slashed (streamflow-demo)" ;;
    *) echo "$1" ;;
  esac
}

on_error() {
  echo >&2
  echo "make demo failed (see the output above)." >&2
  if running_anvil >/dev/null; then
    echo "anvil is still running on $RPC (pid $(cat "$STATE/anvil.pid")); make stop stops it." >&2
  fi
}

case "${1:-run}" in
  run)
    trap on_error ERR
    main
    ;;
  stop)
    if stop_anvil; then echo "its chain is gone with it: make demo deploys a new one"; fi
    ;;
  *)
    echo "usage: $0 [run|stop]" >&2
    exit 2
    ;;
esac
