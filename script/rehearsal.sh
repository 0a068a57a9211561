#!/usr/bin/env bash
# Upgrade rehearsal on a real anvil: deploy with timelock governance, populate by real transactions,
# snapshot, upgrade every proxied contract to a v2 through one timelock batch, snapshot again and
# require an empty diff, check the new behaviour, keep using the protocol, and report the figures
# (accounts checked, diff, downtime in blocks, gas of each step). Then replaces the TicketBroker
# with a new one at a new address (script/ReplaceBroker.s.sol): senders move their funds, held fees
# follow, old tickets are still paid on the old broker; the broker-totals snapshot diff must be empty
# and no block may refuse a user operation. The populated state includes a pending fault challenge.
#   script/rehearsal.sh            (needs `forge build` done; about a minute on an idle machine)
# Environment: POPULATE_ORCHESTRATORS / POPULATE_DELEGATORS / POPULATE_SENDERS (20 / 30 / 8).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=node_modules/.bin
ROUND_LENGTH=200
DELAY=3600
MN="test test test test test test test test test test test junk"

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
RPC="http://127.0.0.1:$port"
"$BIN/anvil" --port "$port" --accounts 70 --balance 100000 --silent &
anvil_pid=$!
tmp=$(mktemp -d deployments/.tmp-rehearsal-XXXX)
# REHEARSAL_KEEP=1 keeps the snapshots, batch and deployment file in $tmp for inspection.
trap 'kill $anvil_pid 2>/dev/null || true; [ -n "${REHEARSAL_KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do "$BIN/cast" block-number --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.1; done

gov=$("$BIN/cast" wallet address --mnemonic "$MN" --mnemonic-index 0)
export STREAMFLOW_DEPLOYMENT="$tmp/deployment.json" UPGRADE_BATCH="$tmp/batch.json"
fscript() { "$BIN/forge" script "$@" --rpc-url "$RPC" 2>&1; }
logs() { sed -n '/== Logs ==/,/^$/p;/[Ee]rror/p;/[Rr]evert/p'; }
json() { node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(d[process.argv[2]])' "$1" "$2"; }
gas_of() { node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));let g=0;for(const x of r.receipts)g+=parseInt(x.gasUsed,16);console.log(g+" gas in "+r.receipts.length+" tx")' "$1"; }
to_next_round() {
  local rounds; rounds=$(json "$STREAMFLOW_DEPLOYMENT" roundsManager)
  local start; start=$("$BIN/cast" call "$rounds" "currentRoundStartBlock()(uint256)" --rpc-url "$RPC" | cut -d' ' -f1)
  local now; now=$("$BIN/cast" block-number --rpc-url "$RPC")
  "$BIN/cast" rpc anvil_mine "$((start + ROUND_LENGTH - now))" --rpc-url "$RPC" >/dev/null
}

echo "== deploy (timelock, delay ${DELAY}s, round length $ROUND_LENGTH)"
STREAMFLOW_GOVERNANCE=timelock TIMELOCK_DELAY=$DELAY ROUND_LENGTH=$ROUND_LENGTH \
  fscript script/Deploy.s.sol --broadcast --slow --unlocked --sender "$gov" | grep -E "governance|Error" || true
echo "== populate"
to_next_round
POPULATE_PHASE=1 fscript script/Populate.s.sol --broadcast --slow | logs
# Phase 1 scheduled a governance operation (a committee-reviewed service) that phase 8 executes.
"$BIN/cast" rpc evm_increaseTime $DELAY --rpc-url "$RPC" >/dev/null
# Stake earns rewards once it is older than the unbonding period (7 rounds): let it mature.
for _ in $(seq 1 8); do to_next_round; done
POPULATE_PHASE=2 fscript script/Populate.s.sol --broadcast --slow | logs
to_next_round
POPULATE_PHASE=3 fscript script/Populate.s.sol --broadcast --slow | logs
POPULATE_PHASE=4 fscript script/Populate.s.sol --broadcast --slow | logs
POPULATE_PHASE=8 fscript script/Populate.s.sol --broadcast --slow | logs

before_block=$("$BIN/cast" block-number --rpc-url "$RPC")
echo "== snapshot before (block $before_block)"
SNAPSHOT_OUT="$tmp/before.txt" SNAPSHOT_ACCOUNTS_TO_BLOCK=$before_block fscript script/Snapshot.s.sol | logs

nonzero() { grep "^$1" "$tmp/before.txt" | grep -cv '=0x0*$' || true; }
held=$(nonzero ticketBroker.pendingFees); pending=$(nonzero bondingManager.pendingEarnings)
locks=$(nonzero bondingManager.lockInfo); senders=$(nonzero ticketBroker.getSender)
orchs=$(grep '^bondingManager.isOrchestrator' "$tmp/before.txt" | grep -c '=0x0*1$' || true)
challenges=$(grep -c '^faultVerifier.getChallenge' "$tmp/before.txt" || true)
echo "state: $orchs orchestrators, $senders senders with funds, $held orchestrators with fees held by the broker, $pending accounts with pending earnings, $locks unbonding locks, $challenges challenge(s) pending"
[ "$challenges" -gt 0 ] && [ "$held" -gt 0 ] && [ "$pending" -gt 0 ] && [ "$locks" -gt 0 ] && [ "$senders" -gt 0 ] && [ "$orchs" -ge 20 ] \
  || { echo "FAIL: the populated state is not the intended one"; exit 1; }

echo "== schedule: every proxy to its v2 in one batch"
v2init=$("$BIN/cast" calldata "initializeV2()")
rminit=$("$BIN/cast" calldata "initializeV2(uint256)" 0)
export UPGRADE="livepeerToken=ProtocolV2.sol:LivepeerTokenV2,roundsManager=RoundsManagerV2.sol:RoundsManagerV2,bondingManager=BondingManager.sol:BondingManager,minter=ProtocolV2.sol:MinterV2,serviceRegistry=ProtocolV2.sol:ServiceRegistryV2,ticketBroker=ProtocolV2.sol:TicketBrokerV2,faultVerifier=ProtocolV2.sol:FaultVerifierV2,committeeVerifier=ProtocolV2.sol:CommitteeVerifierV2"
export UPGRADE_INIT="$v2init,$rminit,0x,$v2init,$v2init,$v2init,$v2init,$v2init"
UPGRADE_STEP=schedule fscript script/Upgrade.s.sol --broadcast --slow --unlocked --sender "$gov" | logs | grep -vE "^\s+0x|implementation now" || true
schedule_gas=$(gas_of broadcast/Upgrade.s.sol/31337/run-latest.json)
first_block=$("$BIN/cast" block-number --rpc-url "$RPC")

# Early execution must be refused.
if UPGRADE_STEP=execute fscript script/Upgrade.s.sol --broadcast --unlocked --sender "$gov" >/dev/null; then
  echo "FAIL: the batch executed before the delay"; exit 1
fi
"$BIN/cast" rpc evm_increaseTime $DELAY --rpc-url "$RPC" >/dev/null
"$BIN/cast" rpc evm_mine --rpc-url "$RPC" >/dev/null
echo "== execute"
UPGRADE_STEP=execute fscript script/Upgrade.s.sol --broadcast --slow --unlocked --sender "$gov" | logs | head -2
execute_gas=$(gas_of broadcast/Upgrade.s.sol/31337/run-latest.json)
exec_block=$("$BIN/cast" block-number --rpc-url "$RPC")

echo "== snapshot after"
SNAPSHOT_OUT="$tmp/after.txt" SNAPSHOT_ACCOUNTS_TO_BLOCK=$before_block fscript script/Snapshot.s.sol | logs
diff_out=$(script/upgrade.sh diff "$tmp/before.txt" "$tmp/after.txt") || { echo "$diff_out"; echo "FAIL: state changed"; exit 1; }
echo "$diff_out"

echo "== downtime probe: user operations simulated at every block from scheduling to after execution"
probe=$("$BIN/cast" wallet address --mnemonic "$MN" --mnemonic-index 69)
broker=$(json "$STREAMFLOW_DEPLOYMENT" ticketBroker); bm=$(json "$STREAMFLOW_DEPLOYMENT" bondingManager)
token=$(json "$STREAMFLOW_DEPLOYMENT" livepeerToken); controller=$(json "$STREAMFLOW_DEPLOYMENT" controller)
refused=0
for b in $(seq "$first_block" "$exec_block"); do
  ok=1
  [ "$("$BIN/cast" call "$controller" "paused()(bool)" --block "$b" --rpc-url "$RPC")" = "false" ] || ok=0
  "$BIN/cast" call "$broker" "fundDeposit()" --value 1 --from "$probe" --block "$b" --rpc-url "$RPC" >/dev/null 2>&1 || ok=0
  "$BIN/cast" call "$token" "transfer(address,uint256)" "$probe" 0 --from "$gov" --block "$b" --rpc-url "$RPC" >/dev/null 2>&1 || ok=0
  [ $ok = 1 ] || refused=$((refused + 1))
done
echo "downtime: $refused blocks refused a user operation, of $((exec_block - first_block + 1)) probed (blocks $first_block..$exec_block)"

echo "== new behaviour"
for key in livepeerToken minter serviceRegistry ticketBroker faultVerifier committeeVerifier; do
  a=$(json "$STREAMFLOW_DEPLOYMENT" $key)
  v=$("$BIN/cast" call "$a" "implementationVersion()(uint256)" --rpc-url "$RPC")
  at=$("$BIN/cast" call "$a" "upgradedAtBlock()(uint256)" --rpc-url "$RPC")
  "$BIN/cast" send "$a" "ping()" --from "$gov" --unlocked --rpc-url "$RPC" >/dev/null
  p=$("$BIN/cast" call "$a" "ping()(uint256)" --from "$gov" --rpc-url "$RPC")
  [ "$v" = 2 ] && [ "$at" = "$exec_block" ] && [ "$p" = 2 ] || { echo "FAIL: $key v2 not live ($v, $at, $p)"; exit 1; }
done
[ "$("$BIN/cast" call "$(json "$STREAMFLOW_DEPLOYMENT" roundsManager)" "version()(uint256)" --rpc-url "$RPC")" = 2 ] || { echo "FAIL: rounds v2"; exit 1; }
echo "v2 live on 7 proxies (version 2, upgradedAtBlock = $exec_block, ping counts); BondingManager re-pointed to a fresh v1 build"

echo "== the protocol keeps working after the upgrade (round, rewards, claims, redeem, bond, funding)"
to_next_round
POPULATE_PHASE=3 fscript script/Populate.s.sol --broadcast --slow | logs
POPULATE_PHASE=4 fscript script/Populate.s.sol --broadcast --slow | logs
"$BIN/cast" send "$token" "approve(address,uint256)" "$bm" 1000000000000000000000 --from "$gov" --unlocked --rpc-url "$RPC" >/dev/null
"$BIN/cast" send "$bm" "bond(uint256,address)" 1000000000000000000000 "$("$BIN/cast" wallet address --mnemonic "$MN" --mnemonic-index 1)" --from "$gov" --unlocked --rpc-url "$RPC" >/dev/null
"$BIN/cast" send "$broker" "fundDeposit()" --value 1000 --from "$probe" --unlocked --rpc-url "$RPC" >/dev/null

echo "== broker replacement: a new TicketBroker at a new address, senders move, fees follow"
old_broker=$broker
export POPULATE_TICKETS="$tmp/old-tickets.json" POPULATE_OLD_BROKER=$old_broker REPLACEMENT_FILE="$tmp/replacement.json"
POPULATE_PHASE=5 fscript script/Populate.s.sol --broadcast --slow | logs
rb_block=$("$BIN/cast" block-number --rpc-url "$RPC")
SNAPSHOT_OUT="$tmp/rb-before.txt" SNAPSHOT_ACCOUNTS_TO_BLOCK=$rb_block SNAPSHOT_BROKER_TOTALS=true \
  fscript script/Snapshot.s.sol | logs
held_before=$(grep '^ticketBrokers.heldFees' "$tmp/rb-before.txt" | grep -cv '=$' || true)
funded_before=$(grep '^ticketBrokers.funds' "$tmp/rb-before.txt" | grep -cv '=0$' || true)
REPLACE_STEP=deploy fscript script/ReplaceBroker.s.sol --broadcast --slow --unlocked --sender "$gov" | logs | head -3
rb_deploy_gas=$(gas_of broadcast/ReplaceBroker.s.sol/31337/run-latest.json)
new_broker=$(json "$REPLACEMENT_FILE" ticketBroker)
REPLACE_STEP=schedule fscript script/ReplaceBroker.s.sol --broadcast --slow --unlocked --sender "$gov" | logs | head -2
rb_schedule_gas=$(gas_of broadcast/ReplaceBroker.s.sol/31337/run-latest.json)
rb_first=$("$BIN/cast" block-number --rpc-url "$RPC")
"$BIN/cast" rpc evm_increaseTime $DELAY --rpc-url "$RPC" >/dev/null
"$BIN/cast" rpc evm_mine --rpc-url "$RPC" >/dev/null
UPGRADE_STEP=execute fscript script/Upgrade.s.sol --broadcast --slow --unlocked --sender "$gov" | logs | head -1
rb_execute_gas=$(gas_of broadcast/Upgrade.s.sol/31337/run-latest.json)
[ "$("$BIN/cast" call "$controller" "getContract(bytes32)(address)" "$("$BIN/cast" keccak TicketBroker)" --rpc-url "$RPC")" = "$new_broker" ] \
  || { echo "FAIL: the new broker is not registered"; exit 1; }
node -e 'const f=require("fs"),p=process.argv[1],d=JSON.parse(f.readFileSync(p));d.previousTicketBroker=d.ticketBroker;d.ticketBroker=process.argv[2];f.writeFileSync(p,JSON.stringify(d,null,2))' "$STREAMFLOW_DEPLOYMENT" "$new_broker"
REPLACE_STEP=handover fscript script/ReplaceBroker.s.sol --broadcast --slow --unlocked --sender "$gov" | logs | head -2
rb_handover_gas=$(gas_of broadcast/ReplaceBroker.s.sol/31337/run-latest.json)
POPULATE_PHASE=6 fscript script/Populate.s.sol --broadcast --slow | logs
rb_move_gas=$(gas_of broadcast/Populate.s.sol/31337/run-latest.json)
# The probe account funded a deposit above: it moves too (a sender that never moves keeps its funds
# on the old broker, withdrawable there).
"$BIN/cast" send "$old_broker" "moveFunds()" --from "$probe" --unlocked --rpc-url "$RPC" >/dev/null
rb_last=$("$BIN/cast" block-number --rpc-url "$RPC")
SNAPSHOT_OUT="$tmp/rb-after.txt" SNAPSHOT_ACCOUNTS_TO_BLOCK=$rb_block SNAPSHOT_BROKER_TOTALS=true \
  SNAPSHOT_PREVIOUS_TICKET_BROKER=$old_broker fscript script/Snapshot.s.sol | logs
rb_diff=$(script/upgrade.sh diff "$tmp/rb-before.txt" "$tmp/rb-after.txt") || { echo "$rb_diff"; echo "FAIL: the replacement lost or moved value"; exit 1; }
echo "$rb_diff"

echo "== downtime probe: funding the registered broker and redeeming an old ticket, every block"
old_ticket=$(node -e 'const t=JSON.parse(require("fs").readFileSync(process.argv[1])).tickets;console.log(t[t.length-1])' "$POPULATE_TICKETS")
old_recipient=0x${old_ticket:2:40}
rb_refused=0
for b in $(seq "$rb_first" "$rb_last"); do
  ok=1
  registered=$("$BIN/cast" call "$controller" "getContract(bytes32)(address)" "$("$BIN/cast" keccak TicketBroker)" --block "$b" --rpc-url "$RPC")
  "$BIN/cast" call "$registered" "fundDeposit()" --value 1 --from "$probe" --block "$b" --rpc-url "$RPC" >/dev/null 2>&1 || ok=0
  "$BIN/cast" call "$old_broker" "redeemWinningTicket(bytes)" "$old_ticket" --from "$old_recipient" --block "$b" --rpc-url "$RPC" >/dev/null 2>&1 || ok=0
  [ $ok = 1 ] || rb_refused=$((rb_refused + 1))
done
echo "downtime: $rb_refused blocks refused a user operation, of $((rb_last - rb_first + 1)) probed (blocks $rb_first..$rb_last)"

echo "== old tickets paid on the old broker, new ones on the new broker, then the reserves follow"
POPULATE_PHASE=7 fscript script/Populate.s.sol --broadcast --slow | logs
rb_old_redeem_gas=$(gas_of broadcast/Populate.s.sol/31337/run-latest.json)
POPULATE_PHASE=4 fscript script/Populate.s.sol --broadcast --slow | logs
to_next_round; to_next_round
REPLACE_STEP=forward fscript script/ReplaceBroker.s.sol --broadcast --slow --unlocked --sender "$gov" | logs | head -2
rb_forward_gas=$(gas_of broadcast/ReplaceBroker.s.sol/31337/run-latest.json)
old_left=$("$BIN/cast" balance "$old_broker" --rpc-url "$RPC")
[ "$old_left" = 0 ] || { echo "FAIL: the old broker still holds $old_left wei"; exit 1; }
echo "old broker empty: every sender's funds and every fee are on the new broker"

echo "== figures"
echo "accounts checked: $(grep -c '^livepeerToken.balanceOf' "$tmp/before.txt"), values compared: $(wc -l < "$tmp/before.txt"), differences: 0"
echo "state: $orchs orchestrators, $senders funded senders, $held with fees held, $pending with pending earnings, $locks locks, $challenges pending challenge(s)"
echo "downtime: $refused blocks"
echo "gas: schedule (8 implementations, the BondingManager's admin, scheduleBatch) $schedule_gas; execute (one batch, 8 upgrades) $execute_gas"
echo "broker replacement: $held_before orchestrators with fees held and $funded_before funded senders before; snapshot (broker totals) $(printf '%s' "$rb_diff" | tr '\n' ' ')"
echo "broker replacement downtime: $rb_refused blocks"
echo "broker replacement gas: deploy $rb_deploy_gas; schedule $rb_schedule_gas; execute $rb_execute_gas; handOverFees $rb_handover_gas; moveFunds $rb_move_gas; old tickets redeemed after $rb_old_redeem_gas; forwardReserve $rb_forward_gas"
echo "REHEARSAL PASSED"
