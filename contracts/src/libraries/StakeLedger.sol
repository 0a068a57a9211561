// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title StakeLedger
/// @notice The O(1) earnings and stake accounting of one orchestrator pool and its delegators.
/// @dev Cumulative factors, LIP-36 style, extended with slashing, a fee "exit lag" and an entry lag:
/// - `crf` (cumulative reward factor, scaled by `PREC`; fee factors are scaled by `FEE_PREC`) multiplies every bonded delegator's stake:
///   a reward grows it by `(T + delegatorsReward) / T`, a slash shrinks it by `(T - penalty) / T`.
///   A delegator's stake is `bonded * crf / crfCheckpoint`, so both are pro rata and O(1).
/// - `cffStake` accumulates `feePerToken * crf / PREC` (a wrapping `uint128`), so a bonded delegator's
///   fees since its checkpoint are `bonded * (cffStake - cffCheckpoint) / (crfCheckpoint * CFF_DIV)`
///   (stake compounds).
/// - `cffToken` accumulates plain `feePerToken`; it pays the *leaving weight*: stake that left the
///   pool (unbonded or redelegated) keeps a fee share until its exit round (the maturity period
///   later; its tokens may wait longer, for the unbonding period), so fees of tickets created
///   while it was bonded still reach it (the guard against delegator fee theft, see
///   docs/staking.md). Exits are a FIFO queue, one entry per exit round.
/// - Entering stake is *young* (review C-1/H-3): bonded, slashable and counted in the active set,
///   but it earns neither fees nor rewards until the maturity period after it entered. It is
///   kept in units of a slash-only factor `sf` (`norm = tokens * PREC / sf`) in a FIFO of entries,
///   one per maturity round. The fee weight of a pool is `totalStake - young + leavingWeight`, the
///   reward divisor `totalStake - young`. An entry that matures (lazily, at the pool's next touch)
///   is overwritten in place with `k = crf * PREC / sf` and `cffStake`: a young part `norm` of a
///   delegator is worth `norm * crf / k` from then on and earns `norm * dcff / (k * CFF_DIV)`.
///   Young stake that leaves has no fee tail, so a token shares the fees of at most one pool at a
///   time: its tail in the pool it left ends when its young stake in the new pool matures.
/// - A slash to zero can't be expressed as a factor; it starts a new `epoch` and records the
///   `cffStake` (and the first unmatured entry) of the ending one so stale delegators still collect
///   the fees earned before it.
library StakeLedger {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Parts per million: the unit of `rewardCut`, `feeShare` and penalties.
    uint256 internal constant PPM = 1_000_000;
    /// @notice Fixed-point scale of the cumulative factors.
    uint256 internal constant PREC = 1e18;
    /// @notice Fixed-point scale of fees per token (`cffToken`), fine enough that a delegator's
    /// rounding loss per credit stays below one wei.
    uint256 internal constant FEE_PREC = 1e27;
    /// @notice The reward factor of a fresh pool (1.0).
    uint96 internal constant INITIAL_CRF = 1e18;
    /// @notice `cffStake` is `feePerToken * crf / PREC`: fees are `stake-units * dcff / (crf * CFF_DIV)`.
    uint256 internal constant CFF_DIV = FEE_PREC / PREC;
    /// @notice Fixed-point scale of the tail factor (1.0; a stored 0 also reads as 1.0).
    uint256 internal constant TAIL_ONE = 1e14;

    /// @notice One orchestrator's pool.
    struct Orchestrator {
        uint112 totalStake; // bonded tokens of the pool: own + delegated + compounded rewards (young included)
        uint112 leavingWeight; // tokens that left the pool but still share its fees until their exit
        uint16 epoch; // bumped by a slash to zero
        uint16 freezeCount; // open challenges freezing withdrawals
        uint96 crf;
        uint64 lastRewardRound;
        uint32 delegatorCount; // delegators other than the orchestrator itself
        uint32 rewardCut; // PPM of rewards the orchestrator keeps
        uint32 feeShare; // PPM of fees that go to the pool (delegators, incl. the orchestrator's self-bond)
        uint24 nextRewardCut; // PPM: below 2^24
        uint24 nextFeeShare;
        uint32 cutEffectiveRound; // 0 when nothing is pending
        bool registered; // self-bonded
        // young stake: one slot that stays nonzero, written once per entering or maturing touch
        uint104 youngNorm; // young stake of the pool, in units of `sf`
        uint24 entryHead; // first entry not matured yet
        uint24 entryTail;
        bool sfSet; // `sf` is in use (a slash hit young stake since the queue last drained)
        bool feesPending; // the TicketBroker holds fees of this pool not yet credited (`noteFees`)
        uint128 cffStake; // wraps: only differences over a checkpoint's life are used (see `pending`)
        uint64 sf; // slash-only factor of young stake (PREC = 1.0), valid while `sfSet`
        uint24 prevFeeShare; // the fee share before `feeShareSince`
        uint32 feeShareSince;
        uint144 cffToken; // wraps: only differences over a lock's life are used (see `closeLock`)
        uint32 exitHead;
        uint32 exitTail;
        // The fee weight of the leaving weight per unit (TAIL_ONE = 1.0; 0 reads as 1.0): partial
        // slashes scale it like bonded stake, so tails keep their share as of the fees' creation
        // round. Back to 1.0 when a tail enters an empty exit queue. Fills the slot's free bits.
        uint48 tailFactor;
        RoundValue active; // the stake counted in the active set (0: inactive), by round
        Checkpoints.Trace208 activity; // round => 1 while active: full history, written only on a flip
        mapping(uint256 index => Exit) exits;
        mapping(uint256 epoch => uint256 cffStake) wipedCffStake;
        mapping(uint256 index => Entry) entries;
        mapping(uint256 epoch => uint256 entryHead) wipedEntryHead; // entries below it had matured
    }

    /// @notice Young stake that matures at round `a` (norm `b`); once matured (index below
    /// `entryHead`) the slot holds the factors of the touch that matured it: `a = k`, `b = cffStake`.
    /// Before maturity `a` is a queue round (see `_queueRound`): the maturity round and the round the
    /// stake entered.
    struct Entry {
        uint128 a; // queue round (maturity, entered), then k = ceil(crf * PREC / sf)
        uint128 b; // norm (in units of `sf`), then cffStake
    }

    /// @notice A value that changes from the round after a write, in one slot: `prev` holds in
    /// round `round` (and back to the write before it), `next` from `round + 1` on. The first write
    /// of a round rolls `next` into `prev`; later writes of the same round only replace `next`.
    struct RoundValue {
        uint48 round;
        uint104 prev;
        uint104 next;
    }

    /// @notice Leaving weight that exits the fee pool at round `uint32(round)`; `round` is a queue
    /// round (see `_queueRound`): the exit round and the round the stake left.
    struct Exit {
        uint48 round;
        uint112 amount; // in units of the entry's `tailFactor`
        uint144 cffToken; // `cffToken` when the exit was processed
        uint48 tailFactor; // the pool's tail factor when the entry was opened (0: 1.0)
    }

    /// @notice A delegator's position, checkpointed at its last claim: `bonded` is mature stake (in
    /// units of `crfCheckpoint`), `youngNorm` young stake of entry `youngIndex` (in units of `sf`).
    struct Delegator {
        address delegate;
        uint96 crfCheckpoint;
        uint104 bonded;
        uint104 youngNorm;
        uint24 youngIndex;
        uint24 nextLockId;
        uint128 cffCheckpoint;
        uint96 fees; // claimed, not yet withdrawn (wei)
        uint16 epoch;
    }

    /// @notice An unbonding lock (or a fee-only tail left by a redelegation). `amount` is its fee
    /// weight; `young` tokens of it were young when it opened and share no fees. A `tailless` lock
    /// (all young) has no fee weight: `amount` is then its tokens.
    struct Lock {
        address orchestrator;
        uint40 round; // withdrawable (a fee-only lock: closable) from this round; its fee tail
        // leaves the pool with its exit entry (`exitIndex`), at or before it
        uint32 exitIndex;
        bool feeOnly; // no tokens: the stake moved to another orchestrator
        bool tailless; // young stake only: no fee weight, no exit entry
        bool mixed; // partly young: `young` holds the young tokens
        uint112 amount;
        uint144 cffTokenCheckpoint;
        uint112 young; // young tokens of a `mixed` lock
    }

    // ------------------------------------------------------------------ round values

    /// @dev The value in `round`; `known` is false for rounds before the last write's round that
    /// the slot no longer describes exactly.
    function valueAt(RoundValue storage v, uint256 round) internal view returns (uint256 value, bool known) {
        uint256 last = v.round;
        if (round > last) return (v.next, true);
        return (v.prev, round == last);
    }

    /// @dev Sets the value from `round + 1` on.
    function setNext(RoundValue storage v, uint256 round, uint256 value) internal {
        RoundValue memory m = v;
        if (m.round != round) {
            v.round = SafeCast.toUint48(round);
            v.prev = m.next;
        }
        v.next = SafeCast.toUint104(value);
    }

    // ------------------------------------------------------------------ exits (fee tails)

    /// @dev Removes from the fee pool the leaving weight whose exit round has come. Bounded by the
    /// maturity period: entries are one per round, all within that many rounds of a touch.
    function processExits(Orchestrator storage o, uint256 round) internal {
        uint32 head = o.exitHead;
        uint32 tail = o.exitTail;
        if (head == tail) return;
        uint256 leaving = o.leavingWeight;
        uint144 cffToken = o.cffToken;
        while (head < tail) {
            Exit storage e = o.exits[head];
            if (uint32(e.round) > round) break;
            leaving -= e.amount;
            e.cffToken = cffToken;
            ++head;
        }
        o.exitHead = head;
        o.leavingWeight = SafeCast.toUint112(leaving);
    }

    /// @dev Adds `amount` of leaving weight that left in round `now` and exits at `round` (or at the
    /// last queued round if later, which only happens after the maturity period was shortened).
    /// Weight that left in different rounds never shares an entry (see `processExits`).
    function scheduleExit(Orchestrator storage o, uint256 now_, uint256 round, uint256 amount)
        internal
        returns (uint256 index, uint256 exitRound)
    {
        uint32 tail = o.exitTail;
        uint48 tf = o.tailFactor;
        exitRound = round;
        if (tail > o.exitHead) {
            Exit storage last = o.exits[tail - 1];
            uint256 q = last.round;
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 lastRound = uint32(q);
            if (lastRound >= exitRound) {
                // the same rounds and the same tail factor (an entry's units are its factor's; at
                // 1.0 every queued entry is at 1.0, see `tailFactor`)
                if (q == _queueRound(exitRound, now_) && (tf == 0 || last.tailFactor == tf)) {
                    uint256 units = _tailUnits(amount, tf);
                    last.amount += SafeCast.toUint112(units);
                    o.leavingWeight += SafeCast.toUint112(units);
                    return (tail - 1, lastRound);
                }
                exitRound = lastRound; // keeps the queue in order of both rounds
            }
        } else if (tf != 0) {
            o.tailFactor = tf = 0; // no tail left: back to 1.0
        }
        uint256 norm = _tailUnits(amount, tf);
        o.exits[tail] = Exit({
            round: uint48(_queueRound(exitRound, now_)),
            amount: SafeCast.toUint112(norm),
            cffToken: 0,
            tailFactor: tf
        });
        o.exitTail = tail + 1;
        o.leavingWeight += SafeCast.toUint112(norm);
        return (tail, exitRound);
    }

    /// @dev Settles a lock's fee tail: its fees so far, and (if it hasn't exited yet) takes its
    /// weight out of the pool now. Call after `processExits` for the current round: the lock's
    /// tail is still in the fee pool exactly while its exit entry is at or after the queue's head.
    function closeLock(Orchestrator storage o, Lock storage l) internal returns (uint256 fees) {
        if (l.tailless) return 0;
        uint144 end;
        uint256 units;
        Exit storage e = o.exits[l.exitIndex];
        if (l.exitIndex >= o.exitHead) {
            // a queued entry is at 1.0 while the pool's factor is (see `tailFactor`)
            units = _tailUnits(l.amount, o.tailFactor == 0 ? 0 : e.tailFactor);
            // forge-lint: disable-next-line(unsafe-typecast)
            e.amount -= uint112(units); // what the lock added to it (same computation)
            // forge-lint: disable-next-line(unsafe-typecast)
            o.leavingWeight -= uint112(units);
            end = o.cffToken;
        } else {
            end = e.cffToken;
            units = _tailUnits(l.amount, e.tailFactor);
        }
        fees = _tailFees(units, end, l.cffTokenCheckpoint);
    }

    /// @dev Pays a lock's fee tail up to now without closing it: returns its fees since its
    /// checkpoint and moves the checkpoint to now (its exit, if it has exited). Call after
    /// `processExits` for the current round, before the lock's amount changes (a slash of the
    /// orchestrator's own lock cuts its weight from then on, never the fees it already earned).
    function settleLock(Orchestrator storage o, Lock storage l) internal returns (uint256 fees) {
        if (l.tailless) return 0;
        Exit storage e = o.exits[l.exitIndex];
        uint144 end;
        uint256 units;
        if (l.exitIndex >= o.exitHead) {
            end = o.cffToken;
            units = _tailUnits(l.amount, o.tailFactor == 0 ? 0 : e.tailFactor);
        } else {
            end = e.cffToken;
            units = _tailUnits(l.amount, e.tailFactor);
        }
        fees = _tailFees(units, end, l.cffTokenCheckpoint);
        l.cffTokenCheckpoint = end;
    }

    /// @dev The fees of `units` of leaving weight between two values of `cffToken`. The factor wraps
    /// modulo 2^144; the difference is exact while it stays below 2^144, which the lock's own weight
    /// guarantees (the pool weight never drops below the lock's amount during its life) unless the
    /// lock is dust (under ~1e-10 LPT per 1M ETH of fees), and then it can only pay less.
    function _tailFees(uint256 units, uint144 end, uint144 checkpoint) private pure returns (uint256) {
        uint144 diff;
        unchecked {
            diff = end - checkpoint;
        }
        return Math.mulDiv(units, diff, FEE_PREC);
    }

    /// @dev `amount` tokens of leaving weight in units of tail factor `tf` (0: 1.0). A lock's units
    /// are computed the same way when it opens and when it closes, so they match exactly.
    function tailUnits(uint256 amount, uint256 tf) internal pure returns (uint256) {
        return _tailUnits(amount, tf);
    }

    function _tailUnits(uint256 amount, uint256 tf) private pure returns (uint256) {
        return tf == 0 ? amount : amount * TAIL_ONE / tf; // amount < 2^112: no overflow
    }

    // ------------------------------------------------------------------ delegators

    /// @dev A delegator's current stake and the fees it earned since its checkpoint; `young` is the
    /// part of `stake` that is still young (earns nothing yet). A position of a wiped epoch has no stake.
    function pending(Orchestrator storage o, Delegator storage d)
        internal
        view
        returns (uint256 stake, uint256 fees, uint256 young)
    {
        (stake, fees, young,) = position(o, d);
    }

    /// @dev `pending`, and for a position of a wiped epoch its `tail`: its mature stake when the pool
    /// was wiped, which keeps a fee share like stake that left (see `cut`).
    function position(Orchestrator storage o, Delegator storage d)
        internal
        view
        returns (uint256 stake, uint256 fees, uint256 young, uint256 tail)
    {
        uint256 bonded = d.bonded;
        uint256 yn = d.youngNorm;
        if (bonded == 0 && yn == 0) return (0, 0, 0, 0);
        uint256 epoch = d.epoch;
        bool wiped = epoch != o.epoch;
        uint128 cff;
        uint256 crf;
        if (wiped) {
            // the wiped epoch's record: `cffStake` and, above it, the reward factor at the wipe (0:
            // nothing was mature, or a wipe recorded before tails existed)
            uint256 w = o.wipedCffStake[epoch];
            // forge-lint: disable-next-line(unsafe-typecast)
            cff = uint128(w); // the low half holds the uint128 factor
            crf = w >> 128;
        } else {
            cff = o.cffStake;
            crf = o.crf;
        }
        if (bonded != 0) {
            fees = _fees(bonded, cff, d.cffCheckpoint, d.crfCheckpoint);
            stake = Math.mulDiv(bonded, crf, d.crfCheckpoint);
        }
        if (yn != 0) {
            uint256 index = d.youngIndex;
            // forge-lint: disable-next-line(unsafe-typecast)
            if (index < (wiped ? uint24(o.wipedEntryHead[epoch]) : o.entryHead)) {
                // matured: worth its value at maturity, grown (and fee-earning) since
                Entry storage e = o.entries[index];
                uint256 k = e.a;
                fees += _fees(yn, cff, e.b, k);
                stake += Math.mulDiv(yn, crf, k);
            } else if (!wiped) {
                young = o.sfSet ? Math.mulDiv(yn, o.sf, PREC) : yn;
            }
        }
        if (wiped) return (0, fees, 0, stake);
        // Rounding favours the pool: mature stake never exceeds what the pool holds beyond its
        // young stake (and the delegator's young part never exceeds the pool's).
        uint256 matureCap = matureStake(o);
        if (stake > matureCap) stake = matureCap;
        stake += young;
    }

    /// @dev Fees of `units` (stake at checkpoint factor `div`) over a `cffStake` difference. The
    /// factor wraps modulo 2^128: the difference is exact while it stays below 2^128, which the
    /// position's own weight in the pool guarantees unless it is dust (below ~3e-6 LPT per 1M ETH of
    /// fees credited between two of its checkpoints, at a reward factor of 1); then it pays less.
    function _fees(uint256 units, uint128 cff, uint128 checkpoint, uint256 div)
        private
        pure
        returns (uint256)
    {
        uint128 diff;
        unchecked {
            diff = cff - checkpoint;
        }
        return diff == 0 ? 0 : Math.mulDiv(units, diff, div * CFF_DIV);
    }

    /// @dev Brings a delegator's checkpoint to now: compounds its stake, books its fees; a young part
    /// whose entry matured becomes mature stake, one still young stays young (and separate). For a
    /// position of a wiped epoch, returns its fee `tail` (see `position`) and that `epoch`: the caller
    /// opens the fee-only lock that carries it.
    function settle(Orchestrator storage o, Delegator storage d)
        internal
        returns (uint256 stake, uint256 fees, uint256 tail, uint256 epoch)
    {
        uint256 young;
        (stake, fees, young, tail) = position(o, d);
        // forge-lint: disable-next-line(unsafe-typecast)
        d.bonded = uint104(stake - young); // at most the pool's totalStake, a uint104-sized value
        if (young == 0 && d.youngNorm != 0) d.youngNorm = 0; // matured (or wiped)
        if (fees != 0) d.fees += SafeCast.toUint96(fees);
        d.crfCheckpoint = o.crf;
        d.cffCheckpoint = o.cffStake;
        uint16 current = o.epoch;
        epoch = d.epoch;
        if (epoch != current) d.epoch = current;
    }

    // ------------------------------------------------------------------ young stake

    /// @dev The slash-only factor of young stake.
    function sfOf(Orchestrator storage o) internal view returns (uint256) {
        return o.sfSet ? o.sf : PREC;
    }

    /// @dev The young stake of the pool, in tokens.
    function youngStake(Orchestrator storage o) internal view returns (uint256) {
        uint256 n = o.youngNorm;
        return n == 0 || !o.sfSet ? n : Math.mulDiv(n, o.sf, PREC);
    }

    /// @dev The young stake of the pool as of `round`, for views: entries whose maturity round has
    /// come count as mature even before a touch processes them. Bounded like `processEntries`.
    function youngStakeAt(Orchestrator storage o, uint256 round) internal view returns (uint256) {
        uint256 n = o.youngNorm;
        for (uint256 i = o.entryHead; n != 0 && i < o.entryTail; ++i) {
            Entry storage e = o.entries[i];
            if (uint32(e.a) > round) break;
            n -= e.b;
        }
        return n == 0 || !o.sfSet ? n : Math.mulDiv(n, o.sf, PREC);
    }

    /// @dev The mature (earning) stake of the pool.
    function matureStake(Orchestrator storage o) internal view returns (uint256) {
        uint256 total = o.totalStake;
        uint256 young = youngStake(o);
        return total > young ? total - young : 0;
    }

    /// @dev Matures the young stake whose round has come: from now on it earns like bonded stake.
    /// Bounded like the exits: one entry per maturity round, all within the maturity period of a
    /// touch. Each entry is overwritten in place with the factors it matured at.
    function processEntries(Orchestrator storage o, uint256 round) internal {
        uint24 head = o.entryHead;
        uint24 tail = o.entryTail;
        if (head == tail) return;
        uint256 norm = o.youngNorm;
        uint256 k;
        uint128 cff;
        uint24 start = head;
        while (head < tail) {
            Entry storage e = o.entries[head];
            if (uint32(e.a) > round) break;
            if (head == start) {
                uint256 kk = o.sfSet ? Math.mulDiv(o.crf, PREC, o.sf, Math.Rounding.Ceil) : o.crf;
                // a larger k only values the matured stake lower: saturating is safe
                k = kk > type(uint128).max ? type(uint128).max : kk;
                cff = o.cffStake;
            }
            norm -= e.b;
            // forge-lint: disable-next-line(unsafe-typecast)
            o.entries[head] = Entry({a: uint128(k), b: cff}); // k saturated above
            ++head;
        }
        if (head == start) return;
        o.entryHead = head;
        // forge-lint: disable-next-line(unsafe-typecast)
        o.youngNorm = uint104(norm); // below the stored value
        if (head == tail && norm == 0) o.sfSet = false; // nothing young: restart the factor at 1.0
    }

    /// @dev Adds `amount` tokens of young stake for a settled delegator, entering in round `now` and
    /// maturing at `round` (or at the last queued maturity if later, which only happens after the
    /// maturity period was shortened; stake that entered in different rounds never shares an entry).
    /// A young part the delegator still has in an earlier entry moves with it (it matures later; its
    /// mature stake is never touched).
    function enter(Orchestrator storage o, Delegator storage d, uint256 amount, uint256 now_, uint256 round)
        internal
    {
        uint24 tail = o.entryTail;
        uint256 add = o.sfSet ? Math.mulDiv(amount, PREC, o.sf) : amount;
        uint256 yn = d.youngNorm; // settled: nonzero only while still young (entry not matured)
        uint256 index;
        uint256 moved; // young stake moving from an earlier entry
        bool join;
        if (tail > o.entryHead) {
            uint256 q = o.entries[tail - 1].a;
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 last = uint32(q);
            if (last >= round) {
                // the entry of this round (same maturity, same entry round); else a later maturity
                // queued before the period was shortened, which keeps the queue in order
                join = q == _queueRound(round, now_);
                round = last;
            }
        }
        if (join) {
            index = tail - 1; // this round's entry
            if (yn != 0 && d.youngIndex != index) moved = yn;
            o.entries[index].b += SafeCast.toUint128(moved + add);
        } else {
            index = tail;
            moved = yn;
            o.entries[tail] = Entry({a: uint128(_queueRound(round, now_)), b: SafeCast.toUint128(yn + add)});
            o.entryTail = SafeCast.toUint24(tail + 1);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        if (moved != 0) o.entries[d.youngIndex].b -= uint128(moved); // read from a uint104
        o.youngNorm = SafeCast.toUint104(o.youngNorm + add);
        d.youngNorm = SafeCast.toUint104(yn + add);
        if (d.youngIndex != index) d.youngIndex = SafeCast.toUint24(index);
        o.totalStake += SafeCast.toUint112(amount);
    }

    /// @dev Takes `amount` out of a settled delegator's stake, young first. Returns the part that
    /// was mature (it keeps a fee tail; young stake leaves without one).
    function leave(Orchestrator storage o, Delegator storage d, uint256 amount)
        internal
        returns (uint256 mature)
    {
        uint256 yn = d.youngNorm;
        uint256 fromYoung;
        if (yn != 0) {
            uint256 sf = sfOf(o);
            uint256 young = Math.mulDiv(yn, sf, PREC);
            uint256 outNorm = yn;
            if (amount < young) {
                fromYoung = amount;
                outNorm = Math.mulDiv(amount, PREC, sf, Math.Rounding.Ceil);
                if (outNorm > yn) outNorm = yn;
            } else {
                fromYoung = young;
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            o.entries[d.youngIndex].b -= uint128(outNorm); // at most the delegator's part of it
            // forge-lint: disable-next-line(unsafe-typecast)
            o.youngNorm -= uint104(outNorm);
            // forge-lint: disable-next-line(unsafe-typecast)
            d.youngNorm = uint104(yn - outNorm);
        }
        mature = amount - fromYoung;
        // forge-lint: disable-next-line(unsafe-typecast)
        if (mature != 0) d.bonded -= uint104(mature); // checked: at most the settled mature stake
        // forge-lint: disable-next-line(unsafe-typecast)
        o.totalStake -= uint112(amount); // at most the delegator's stake, itself at most the pool
    }

    // ------------------------------------------------------------------ queue rounds

    /// @dev Brings both queues forward to `round` only through stake that moved before round `before`
    /// (the creation round of held fees): the tails of stake that left before it end, young stake
    /// that entered before it matures; what moved in or after it stays queued, whatever the unbonding
    /// period was when it was queued. The queues are in order of both rounds, so that is a prefix of
    /// each; when it ends before `round` does, the queue's tail is lowered to its end for the call
    /// (and restored), which keeps the common paths free of the check.
    function processBefore(Orchestrator storage o, uint256 round, uint256 before) internal {
        uint32 exitTail = o.exitTail;
        uint32 i = o.exitHead;
        for (; i < exitTail; ++i) {
            uint256 q = o.exits[i].round;
            // forge-lint: disable-next-line(unsafe-typecast)
            if (uint32(q) > round) break;
            if (_since(q) >= before) {
                o.exitTail = i;
                break;
            }
        }
        processExits(o, round);
        if (i < exitTail) o.exitTail = exitTail;
        uint24 entryTail = o.entryTail;
        uint24 j = o.entryHead;
        for (; j < entryTail; ++j) {
            uint256 q = o.entries[j].a;
            // forge-lint: disable-next-line(unsafe-typecast)
            if (uint32(q) > round) break;
            if (_since(q) >= before) {
                o.entryTail = j;
                break;
            }
        }
        processEntries(o, round);
        if (j < entryTail) o.entryTail = entryTail;
    }

    /// @dev A queue entry's round: the round it takes effect in (low 32 bits) and how long after the
    /// round the stake entered or left that is (the next 16 bits: the maturity period then, or more
    /// after a shortening). Processing can then stop at stake that moved in or after a given round
    /// whatever the period was when it was queued (held fees, `_collectFees`). Rounds fit in 32 bits
    /// (the BondingManager's round cache).
    function _queueRound(uint256 round, uint256 since) private pure returns (uint256) {
        // round < 2^32 (the BondingManager's round cache); the delay is at most the longest unbonding
        // period plus a shortening's clamp, far below 2^16
        unchecked {
            return round | (round - since) << 32;
        }
    }

    /// @dev The round the stake of a queue entry entered or left. An entry queued before queue rounds
    /// carried it (delay 0) reads as moved in its effective round: for held fees a tail stays in and
    /// young stake stays young, the side that never hands fees to stake that wasn't there.
    function _since(uint256 q) private pure returns (uint256) {
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            return uint32(q) - uint16(q >> 32); // queue rounds are packed from these widths
        }
    }

    // ------------------------------------------------------------------ pool events

    /// @dev Credits `amount` of fees to everyone sharing the pool (mature bonded + leaving weight).
    /// Returns false (nothing credited) when nobody shares it.
    function creditPool(Orchestrator storage o, uint256 amount) internal returns (bool) {
        uint256 tf = o.tailFactor;
        uint256 leaving = o.leavingWeight;
        // rounded up: a weight never below the tails' own sum, so a credit never pays out more
        if (tf != 0) leaving = (leaving * tf + TAIL_ONE - 1) / TAIL_ONE; // below 2^160
        uint256 weight = matureStake(o) + leaving;
        if (weight == 0) return false;
        uint256 perToken = Math.mulDiv(amount, FEE_PREC, weight);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint144 step = uint144(tf == 0 ? perToken : perToken * tf / TAIL_ONE); // wraps on purpose, see `closeLock`
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 stakeStep = uint128(Math.mulDiv(perToken, o.crf, PREC)); // wraps on purpose, see `_fees`
        unchecked {
            o.cffToken += step;
            o.cffStake += stakeStep;
        }
        return true;
    }

    /// @dev Compounds `amount` of rewards into every mature delegator's stake (young stake earns no
    /// reward, review H-3). Returns false (nothing added) when no stake is mature.
    function compound(Orchestrator storage o, uint256 amount) internal returns (bool) {
        uint256 mature = matureStake(o);
        if (mature == 0) return false;
        uint256 total = o.totalStake;
        o.crf = SafeCast.toUint96(Math.mulDiv(o.crf, mature + amount, mature));
        o.totalStake = SafeCast.toUint112(total + amount);
        return true;
    }

    /// @dev Cuts `penalty` from the bonded stake, pro rata over all delegators, young stake
    /// included. A cut to zero (or so deep a factor underflows) wipes the whole pool and starts a
    /// new epoch; the pool's mature stake then leaves like an unbond in round `now_`: its tokens are
    /// gone, but its weight keeps its fee share until `exitRound` (as of their creation round, fees
    /// of tickets created before the wipe belong to it), in one exit entry whose index and `cffToken`
    /// the epoch's record keeps for the fee-only locks its delegators' positions become (`position`).
    /// Returns the penalty applied: `penalty`, or the whole pool on a wipe.
    function cut(Orchestrator storage o, uint256 penalty, uint256 now_, uint256 exitRound)
        internal
        returns (uint256)
    {
        uint256 total = o.totalStake;
        uint256 crf = Math.mulDiv(o.crf, total - penalty, total);
        bool young = o.youngNorm != 0;
        uint256 sf = young ? Math.mulDiv(sfOf(o), total - penalty, total) : 0;
        if (crf == 0 || (young && sf == 0) || penalty == total) {
            uint256 epoch = o.epoch;
            uint256 mature = matureStake(o);
            uint256 index;
            if (mature != 0) (index,) = scheduleExit(o, now_, exitRound, mature);
            // records: cffStake | crf << 128 (0: no tail) and entryHead | exit index << 24 | cffToken << 56
            o.wipedCffStake[epoch] = uint256(o.cffStake) | (mature == 0 ? 0 : uint256(o.crf) << 128);
            o.wipedEntryHead[epoch] = uint256(o.entryHead) | index << 24 | uint256(o.cffToken) << 56;
            o.entryHead = o.entryTail;
            o.youngNorm = 0;
            o.sfSet = false;
            o.epoch = SafeCast.toUint16(epoch + 1);
            o.crf = INITIAL_CRF;
            o.totalStake = 0;
            o.delegatorCount = 0;
            return total;
        }
        o.crf = SafeCast.toUint96(crf);
        if (o.leavingWeight != 0) {
            // fee tails shrink with the pool: fees of earlier tickets keep their creation round's split
            uint256 tf = Math.mulDiv(o.tailFactor == 0 ? TAIL_ONE : o.tailFactor, total - penalty, total);
            // forge-lint: disable-next-line(unsafe-typecast)
            o.tailFactor = uint48(tf == 0 ? 1 : tf); // below the previous factor, itself at most TAIL_ONE
        }
        if (young) {
            // forge-lint: disable-next-line(unsafe-typecast)
            o.sf = uint64(sf); // below the previous factor, itself at most PREC
            o.sfSet = true;
        }
        o.totalStake = SafeCast.toUint112(total - penalty);
        return penalty;
    }

    // ------------------------------------------------------------------ cuts

    /// @dev The reward cut and fee share in force in `round`.
    function cutsAt(Orchestrator storage o, uint256 round)
        internal
        view
        returns (uint256 rewardCut, uint256 feeShare)
    {
        uint256 eff = o.cutEffectiveRound;
        if (eff != 0 && round >= eff) return (o.nextRewardCut, o.nextFeeShare);
        rewardCut = o.rewardCut;
        feeShare = round >= o.feeShareSince ? o.feeShare : o.prevFeeShare;
    }

    /// @dev Folds a pending change whose round has come into the cuts in force. True if it did.
    function foldCuts(Orchestrator storage o, uint256 round) internal returns (bool) {
        uint256 eff = o.cutEffectiveRound;
        if (eff == 0 || round < eff) return false;
        setCuts(o, o.nextRewardCut, o.nextFeeShare, eff);
        return true;
    }

    /// @dev Puts cuts in force from round `since`, keeping one step of fee-share history.
    function setCuts(Orchestrator storage o, uint256 rewardCut, uint256 feeShare, uint256 since) internal {
        o.prevFeeShare = SafeCast.toUint24(o.feeShare);
        o.feeShareSince = SafeCast.toUint32(since);
        o.rewardCut = SafeCast.toUint32(rewardCut);
        o.feeShare = SafeCast.toUint32(feeShare);
        o.cutEffectiveRound = 0;
    }
}
