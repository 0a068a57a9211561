// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title StakeLedger
/// @notice The O(1) earnings and stake accounting of one orchestrator pool and its delegators.
/// @dev Cumulative factors, LIP-36 style, extended with slashing and a fee "exit lag":
/// - `crf` (cumulative reward factor, scaled by `PREC`; fee factors are scaled by `FEE_PREC`) multiplies every bonded delegator's stake:
///   a reward grows it by `(T + delegatorsReward) / T`, a slash shrinks it by `(T - penalty) / T`.
///   A delegator's stake is `bonded * crf / crfCheckpoint`, so both are pro rata and O(1).
/// - `cffStake` accumulates `feePerToken * crf`, so a bonded delegator's fees since its
///   checkpoint are `bonded * (cffStake - cffCheckpoint) / (crfCheckpoint * FEE_PREC)` (stake compounds).
/// - `cffToken` accumulates plain `feePerToken`; it pays the *leaving weight*: stake that left the
///   pool (unbonded or redelegated) keeps a fee share until its exit round (`unbondingPeriod`
///   rounds later), so fees of tickets created while it was bonded still reach it (the guard against
///   delegator fee theft, see docs/staking.md). Exits are a FIFO queue, one entry per exit round.
/// - A slash to zero can't be expressed as a factor; it starts a new `epoch` and records the
///   `cffStake` of the ending one so stale delegators still collect the fees earned before it.
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

    /// @notice One orchestrator's pool.
    struct Orchestrator {
        uint112 totalStake; // bonded tokens of the pool: own + delegated + compounded rewards
        uint112 leavingWeight; // tokens that left the pool but still share its fees until their exit
        uint16 epoch; // bumped by a slash to zero
        uint16 freezeCount; // open challenges freezing withdrawals
        uint96 crf;
        uint64 lastRewardRound;
        uint32 delegatorCount; // delegators other than the orchestrator itself
        uint32 rewardCut; // PPM of rewards the orchestrator keeps
        uint32 feeShare; // PPM of fees that go to the pool (delegators, incl. the orchestrator's self-bond)
        uint32 nextRewardCut;
        uint32 nextFeeShare;
        uint64 cutEffectiveRound; // 0 when nothing is pending
        uint32 prevFeeShare; // the fee share before `feeShareSince`
        uint64 feeShareSince;
        bool registered; // self-bonded
        bool feesPending; // the TicketBroker holds fees of this pool not yet credited (`noteFees`)
        uint256 cffStake;
        uint144 cffToken; // wraps: only differences over a lock's life are used (see `closeLock`)
        uint56 exitHead;
        uint56 exitTail;
        RoundValue active; // the stake counted in the active set (0: inactive), by round
        Checkpoints.Trace208 activity; // round => 1 while active: full history, written only on a flip
        mapping(uint256 index => Exit) exits;
        mapping(uint256 epoch => uint256 cffStake) wipedCffStake;
    }

    /// @notice A value that changes from the round after a write, in one slot: `prev` holds in
    /// round `round` (and back to the write before it), `next` from `round + 1` on. The first write
    /// of a round rolls `next` into `prev`; later writes of the same round only replace `next`.
    struct RoundValue {
        uint48 round;
        uint104 prev;
        uint104 next;
    }

    /// @notice Leaving weight that exits the fee pool at `round`.
    struct Exit {
        uint48 round;
        uint112 amount;
        uint144 cffToken; // `cffToken` when the exit was processed
    }

    /// @notice A delegator's position, checkpointed at its last claim.
    struct Delegator {
        address delegate;
        uint96 crfCheckpoint;
        uint112 bonded;
        uint96 fees; // claimed, not yet withdrawn (wei)
        uint16 epoch;
        uint32 nextLockId;
        uint256 cffCheckpoint;
    }

    /// @notice An unbonding lock (or a fee-only tail left by a redelegation).
    struct Lock {
        address orchestrator;
        uint48 round; // withdrawable from, and leaves the fee pool at, this round
        uint40 exitIndex;
        bool feeOnly; // no tokens: the stake moved to another orchestrator
        uint112 amount;
        uint144 cffTokenCheckpoint;
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
    /// unbonding period: entries are one per round, all within `unbondingPeriod` rounds of a touch.
    function processExits(Orchestrator storage o, uint256 round) internal {
        uint56 head = o.exitHead;
        uint56 tail = o.exitTail;
        if (head == tail) return;
        uint256 leaving = o.leavingWeight;
        uint144 cffToken = o.cffToken;
        while (head < tail) {
            Exit storage e = o.exits[head];
            if (e.round > round) break;
            leaving -= e.amount;
            e.cffToken = cffToken;
            ++head;
        }
        o.exitHead = head;
        o.leavingWeight = SafeCast.toUint112(leaving);
    }

    /// @dev Adds `amount` of leaving weight that exits at `round` (or at the last queued round if
    /// later, which only happens after the unbonding period was shortened).
    function scheduleExit(Orchestrator storage o, uint256 round, uint256 amount)
        internal
        returns (uint256 index, uint256 exitRound)
    {
        uint56 tail = o.exitTail;
        exitRound = round;
        if (tail > o.exitHead) {
            Exit storage last = o.exits[tail - 1];
            if (last.round >= exitRound) {
                last.amount += SafeCast.toUint112(amount);
                o.leavingWeight += SafeCast.toUint112(amount);
                return (tail - 1, last.round);
            }
        }
        o.exits[tail] =
            Exit({round: SafeCast.toUint48(exitRound), amount: SafeCast.toUint112(amount), cffToken: 0});
        o.exitTail = tail + 1;
        o.leavingWeight += SafeCast.toUint112(amount);
        return (tail, exitRound);
    }

    /// @dev Settles a lock's fee tail: its fees so far, and (if it hasn't exited yet) takes its
    /// weight out of the pool now. Call after `processExits` for the current round.
    function closeLock(Orchestrator storage o, Lock storage l, uint256 round)
        internal
        returns (uint256 fees)
    {
        uint144 end;
        if (l.round > round) {
            o.exits[l.exitIndex].amount -= l.amount;
            o.leavingWeight -= l.amount;
            end = o.cffToken;
        } else {
            end = o.exits[l.exitIndex].cffToken;
        }
        // The factor wraps modulo 2^144; the difference is exact while it stays below 2^144, which
        // the lock's own weight guarantees (the pool weight never drops below the lock's amount
        // during its life) unless the lock is dust (under ~1e-10 LPT per 1M ETH of fees), and
        // then it can only pay less.
        uint144 diff;
        unchecked {
            diff = end - l.cffTokenCheckpoint;
        }
        fees = Math.mulDiv(l.amount, diff, FEE_PREC);
    }

    // ------------------------------------------------------------------ delegators

    /// @dev A delegator's current stake and the fees it earned since its checkpoint.
    function pending(Orchestrator storage o, Delegator storage d)
        internal
        view
        returns (uint256 stake, uint256 fees)
    {
        uint256 bonded = d.bonded;
        if (bonded == 0) return (0, 0);
        uint256 crfCp = d.crfCheckpoint;
        if (d.epoch != o.epoch) {
            return (0, Math.mulDiv(bonded, o.wipedCffStake[d.epoch] - d.cffCheckpoint, crfCp * FEE_PREC));
        }
        stake = Math.min(Math.mulDiv(bonded, o.crf, crfCp), o.totalStake);
        fees = Math.mulDiv(bonded, o.cffStake - d.cffCheckpoint, crfCp * FEE_PREC);
    }

    /// @dev Brings a delegator's checkpoint to now: compounds its stake, books its fees.
    function settle(Orchestrator storage o, Delegator storage d)
        internal
        returns (uint256 stake, uint256 fees)
    {
        (stake, fees) = pending(o, d);
        d.bonded = SafeCast.toUint112(stake);
        if (fees != 0) d.fees += SafeCast.toUint96(fees);
        d.crfCheckpoint = o.crf;
        d.cffCheckpoint = o.cffStake;
        d.epoch = o.epoch;
    }

    // ------------------------------------------------------------------ pool events

    /// @dev Credits `amount` of fees to everyone sharing the pool (bonded + leaving weight).
    /// Returns false (nothing credited) when the pool is empty.
    function creditPool(Orchestrator storage o, uint256 amount) internal returns (bool) {
        uint256 weight = uint256(o.totalStake) + o.leavingWeight;
        if (weight == 0) return false;
        uint256 perToken = Math.mulDiv(amount, FEE_PREC, weight);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint144 step = uint144(perToken); // wraps on purpose, see `closeLock`
        unchecked {
            o.cffToken += step;
        }
        o.cffStake += perToken * o.crf;
        return true;
    }

    /// @dev Compounds `amount` of rewards into every bonded delegator's stake. Returns false
    /// (nothing added) when nothing is bonded.
    function compound(Orchestrator storage o, uint256 amount) internal returns (bool) {
        uint256 total = o.totalStake;
        if (total == 0) return false;
        o.crf = SafeCast.toUint96(Math.mulDiv(o.crf, total + amount, total));
        o.totalStake = SafeCast.toUint112(total + amount);
        return true;
    }

    /// @dev Cuts `penalty` from the bonded stake, pro rata over all delegators. A cut to zero (or so
    /// deep the factor underflows) wipes the whole pool and starts a new epoch. Returns the
    /// penalty applied: `penalty`, or the whole pool on a wipe.
    function cut(Orchestrator storage o, uint256 penalty) internal returns (uint256) {
        uint256 total = o.totalStake;
        uint256 crf = Math.mulDiv(o.crf, total - penalty, total);
        if (crf == 0 || penalty == total) {
            o.wipedCffStake[o.epoch] = o.cffStake;
            o.epoch += 1;
            o.crf = INITIAL_CRF;
            o.totalStake = 0;
            o.delegatorCount = 0;
            return total;
        }
        o.crf = SafeCast.toUint96(crf);
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
        o.prevFeeShare = o.feeShare;
        o.feeShareSince = SafeCast.toUint64(since);
        o.rewardCut = SafeCast.toUint32(rewardCut);
        o.feeShare = SafeCast.toUint32(feeShare);
        o.cutEffectiveRound = 0;
    }
}
