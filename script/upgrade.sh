#!/usr/bin/env bash
# Streamflow upgrade driver: storage-layout check, state snapshots, and the timelock steps of
# script/Upgrade.s.sol, with a dry run on an anvil fork of the target chain.
#
#   script/upgrade.sh check                 storage layout of every upgradeable contract vs. the committed one
#   script/upgrade.sh snapshot FILE [BLOCK] protocol state of every account (accounts from events up to
#                                           BLOCK, default latest) -> FILE (script/Snapshot.s.sol)
#   script/upgrade.sh diff BEFORE AFTER     compare two snapshots; non-zero exit if anything changed
#                                           (lines matching $SNAPSHOT_ALLOW, an extended regex, are intended)
#   script/upgrade.sh dry-run               fork $RPC_URL with anvil, schedule, wait the delay, execute as
#                                           $PROPOSER / $EXECUTOR (impersonated), snapshot before and after, diff
#   script/upgrade.sh schedule              check, then deploy implementations and schedule the batch
#   script/upgrade.sh execute               execute the scheduled batch ($UPGRADE_BATCH) after the delay
#
# Environment: RPC_URL (required), STREAMFLOW_DEPLOYMENT, UPGRADE, UPGRADE_INIT, UPGRADE_BATCH (see
# script/Upgrade.s.sol), FORGE_SIGNER (forge's signer flags for schedule/execute, e.g.
# "--account ops" or "--ledger"; never a raw key), PROPOSER and EXECUTOR (dry-run only; default: the
# deployment's `deployer`), SNAPSHOT_ALLOW.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=node_modules/.bin
export STREAMFLOW_DEPLOYMENT="${STREAMFLOW_DEPLOYMENT:-deployments/local.json}"
export UPGRADE_BATCH="${UPGRADE_BATCH:-deployments/upgrade-batch.local.json}"

die() { echo "upgrade.sh: $*" >&2; exit 2; }
json() { node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1]));const v=d[process.argv[2]];if(v===undefined)process.exit(1);console.log(v)' "$1" "$2"; }

layout_check() { node tools/storage-layout.js check; }

snapshot() { # rpc file [accounts-to-block]
  SNAPSHOT_OUT="$2" SNAPSHOT_ACCOUNTS_TO_BLOCK="${3:-$("$BIN/cast" block-number --rpc-url "$1")}" \
    "$BIN/forge" script script/Snapshot.s.sol --rpc-url "$1" 2>&1 | sed -n '/== Logs ==/,/^$/p'
}

diff_snapshots() { # before after
  local d
  d=$(diff <(sort "$1") <(sort "$2") | grep '^[<>]' || true)
  if [ -n "${SNAPSHOT_ALLOW:-}" ] && [ -n "$d" ]; then d=$(printf '%s\n' "$d" | grep -Ev -- "$SNAPSHOT_ALLOW" || true); fi
  echo "snapshot diff: $(wc -l < "$1") values before, $(wc -l < "$2") after, $( [ -n "$d" ] && printf '%s\n' "$d" | wc -l || echo 0) unintended differences"
  if [ -n "$d" ]; then printf '%s\n' "$d"; return 1; fi
}

upgrade_step() { # rpc step signer-args...
  local rpc=$1 step=$2; shift 2
  UPGRADE_STEP=$step "$BIN/forge" script script/Upgrade.s.sol --rpc-url "$rpc" --broadcast --slow "$@" 2>&1 \
    | sed -n '/== Logs ==/,/^$/p;/Error/p;/revert/p'
  return "${PIPESTATUS[0]}"
}

cmd=${1:-}
case "$cmd" in
  check) layout_check ;;
  snapshot) [ -n "${2:-}" ] || die "snapshot FILE [ACCOUNTS_TO_BLOCK]"; snapshot "${RPC_URL:?RPC_URL}" "$2" "${3:-}" ;;
  diff) [ -n "${3:-}" ] || die "diff BEFORE AFTER"; diff_snapshots "$2" "$3" ;;
  schedule)
    layout_check
    # shellcheck disable=SC2086
    upgrade_step "${RPC_URL:?RPC_URL}" schedule ${FORGE_SIGNER:-} ;;
  execute)
    # shellcheck disable=SC2086
    upgrade_step "${RPC_URL:?RPC_URL}" execute ${FORGE_SIGNER:-} ;;
  dry-run)
    layout_check
    deployer=$(json "$STREAMFLOW_DEPLOYMENT" deployer) || die "no deployer in $STREAMFLOW_DEPLOYMENT"
    proposer=${PROPOSER:-$deployer}; executor=${EXECUTOR:-$deployer}
    port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    fork="http://127.0.0.1:$port"
    "$BIN/anvil" --fork-url "${RPC_URL:?RPC_URL}" --port "$port" --silent &
    anvil_pid=$!
    trap 'kill $anvil_pid 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do "$BIN/cast" block-number --rpc-url "$fork" >/dev/null 2>&1 && break; sleep 0.1; done
    tmp=$(mktemp -d deployments/.tmp-dryrun-XXXX)
    export UPGRADE_BATCH="$tmp/batch.json"
    from=$("$BIN/cast" block-number --rpc-url "$fork")
    snapshot "$fork" "$tmp/before.txt" "$from"
    "$BIN/cast" rpc anvil_impersonateAccount "$proposer" --rpc-url "$fork" >/dev/null
    "$BIN/cast" rpc anvil_impersonateAccount "$executor" --rpc-url "$fork" >/dev/null
    "$BIN/cast" rpc anvil_setBalance "$proposer" 0x56BC75E2D63100000 --rpc-url "$fork" >/dev/null
    "$BIN/cast" rpc anvil_setBalance "$executor" 0x56BC75E2D63100000 --rpc-url "$fork" >/dev/null
    upgrade_step "$fork" schedule --unlocked --sender "$proposer"
    delay=$(json "$UPGRADE_BATCH" delay 2>/dev/null || echo 0)
    "$BIN/cast" rpc evm_increaseTime "$delay" --rpc-url "$fork" >/dev/null
    "$BIN/cast" rpc evm_mine --rpc-url "$fork" >/dev/null
    upgrade_step "$fork" execute --unlocked --sender "$executor"
    to=$("$BIN/cast" block-number --rpc-url "$fork")
    snapshot "$fork" "$tmp/after.txt" "$from"
    echo "dry run: blocks $from..$to on the fork; snapshots and batch in $tmp"
    diff_snapshots "$tmp/before.txt" "$tmp/after.txt" ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
