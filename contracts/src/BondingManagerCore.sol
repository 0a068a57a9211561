// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {IBondingManagerTypes} from "./interfaces/IBondingManager.sol";
import {IController} from "./interfaces/IController.sol";
import {IFeeVault} from "./interfaces/IFeeVault.sol";
import {ILivepeerToken} from "./interfaces/ILivepeerToken.sol";
import {IMinter} from "./interfaces/IMinter.sol";
import {IRoundsManager} from "./interfaces/IRoundsManager.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {StakeLedger} from "./libraries/StakeLedger.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title BondingManagerCore
/// @notice The storage, constants and internal state transitions of the {BondingManager}, kept apart
/// so that the deployable contract holds only its external functions.
/// @dev See {BondingManager} for the design; the ledger math lives in {StakeLedger}.
abstract contract BondingManagerCore is IBondingManagerTypes, Controlled {
    using StakeLedger for StakeLedger.Orchestrator;
    using StakeLedger for StakeLedger.RoundValue;
    using Checkpoints for Checkpoints.Trace208;

    /// @custom:storage-location erc7201:streamflow.storage.BondingManager
    struct BondingManagerStorage {
        // The periods, in the field the unbonding period had alone (the slot has no free bits), read
        // through `_periods` and `_maturityBound`: bits 0-7 the unbonding period; 8-15 the maturity
        // period (0, as storage written before it existed reads: it follows the unbonding period);
        // 16-23 the maturity period before its last change; 24-55 the round of that change.
        uint64 unbondingPeriod;
        uint128 minActiveStake;
        // The current round while `block.number < cachedRoundEnd` (a round's end never moves once it
        // started): staking calls ask the RoundsManager once per round, not once each.
        uint32 cachedRound;
        uint32 cachedRoundEnd;
        StakeLedger.RoundValue totalStake;
        StakeLedger.RoundValue totalCount;
        mapping(address orchestrator => StakeLedger.Orchestrator) orchestrators;
        mapping(address delegator => StakeLedger.Delegator) delegators;
        mapping(address delegator => mapping(uint256 lockId => StakeLedger.Lock)) locks;
        // Review H-4: the orchestrator's open unbonding lock of its own pool (lock id + 1; 0: none).
        // It stays slashable with the pool until withdrawn.
        mapping(address orchestrator => uint256 lockIdPlusOne) selfLocks;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.BondingManager")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0x126d2d45c7e64d88ae7014d23929887c3e9a60462a80d0c6c2e0cbeaeb585100;

    /// @notice Parts per million.
    uint256 public constant PPM = StakeLedger.PPM;
    /// @notice The longest unbonding period governance may set (bounds the fee-tail and entry queues).
    uint256 public constant MAX_UNBONDING_PERIOD = 30;
    /// @notice What `redelegate` returns when it left no fee-only lock (the stake was all young).
    uint256 public constant NO_LOCK = type(uint256).max;

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @dev Adds `amount` (pulled from the caller) to `owner`'s stake with `to`, as young stake.
    function _bond(BondingManagerStorage storage $, address owner, address to, uint256 amount, uint256 round)
        internal
    {
        StakeLedger.Delegator storage d = $.delegators[owner];
        if (d.delegate == address(0)) _setDelegate($, d, owner, to, round);
        StakeLedger.Orchestrator storage o = _touch($, to, round);
        uint256 stake = _claim(o, d, owner, to);
        // Review L-3: a third party can't delay the maturity of the owner's young stake (its mature
        // stake is never affected by anything added).
        _addStake($, o, d, to, owner, stake, amount, round, msg.sender == owner);
        emit Bonded(owner, to, msg.sender, amount);
        SafeERC20.safeTransferFrom(_token(), msg.sender, address(this), amount);
    }

    /// @dev Moves `owner`'s whole stake to `to`, leaving a fee-only lock in the old pool for its
    /// mature part (young stake leaves no fee tail). Returns `NO_LOCK` when no lock was left.
    function _redelegate(BondingManagerStorage storage $, address owner, address to, uint256 round)
        internal
        returns (uint256 lockId)
    {
        StakeLedger.Delegator storage d = $.delegators[owner];
        address from = d.delegate;
        StakeLedger.Orchestrator storage oldPool = _touch($, from, round);
        uint256 stake = _claim(oldPool, d, owner, from);
        lockId = NO_LOCK;
        if (stake != 0) {
            // The self-bond is the orchestrator's security deposit: it leaves only through an
            // unbonding lock that stays slashable (review H-4), never instantly.
            if (from == owner) revert SelfBondLocked(owner);
            uint256 mature = _removeStake($, oldPool, d, from, owner, stake, round);
            if (mature != 0) lockId = _openLock($, oldPool, d, owner, from, mature, mature, round, true);
        }
        _setDelegate($, d, owner, to, round);
        StakeLedger.Orchestrator storage newPool = _touch($, to, round);
        _claim(newPool, d, owner, to);
        if (stake != 0) _addStake($, newPool, d, to, owner, 0, stake, round, true);
        emit Redelegated(owner, from, to, stake);
    }

    /// @dev Bonds lock `lockId` of the caller to `to` (as young stake).
    function _rebond(BondingManagerStorage storage $, address to, uint256 lockId) internal {
        StakeLedger.Lock storage l = $.locks[msg.sender][lockId];
        address from = l.orchestrator;
        if (from == address(0)) revert UnknownLock(lockId);
        if (l.feeOnly) revert FeeOnlyLock(lockId);
        uint256 round = _round();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        StakeLedger.Orchestrator storage fromPool = _touch($, from, round);
        // A delegator's lock goes anywhere, frozen pool or not (delegators always leave).
        if (to != from) {
            // The orchestrator's own lock only ever goes back into its own pool: it stays slashable
            // there until withdrawn, after every challenge window of its time as a staker has closed.
            if ($.selfLocks[from] == lockId + 1 && from == msg.sender) revert SelfBondLocked(from);
        }
        uint256 fees = fromPool.closeLock(l);
        uint256 amount = _closeLockSlots($, l, msg.sender, from, lockId);
        if (fees != 0) d.fees += SafeCast.toUint96(fees);
        if (d.delegate != to) _setDelegate($, d, msg.sender, to, round);
        StakeLedger.Orchestrator storage o = _touch($, to, round);
        uint256 stake = _claim(o, d, msg.sender, to);
        _addStake($, o, d, to, msg.sender, stake, amount, round, true);
        emit Rebonded(msg.sender, to, lockId, amount);
    }

    /// @dev Deletes a lock whose fee tail is settled; returns its LPT (0 for a fee-only lock).
    function _closeLockSlots(
        BondingManagerStorage storage $,
        StakeLedger.Lock storage l,
        address owner,
        address orch,
        uint256 lockId
    ) internal returns (uint256 amount) {
        amount = l.feeOnly ? 0 : l.amount;
        if (l.mixed) {
            amount += l.young;
            l.young = 0;
        }
        // the first two slots (the third, `young`, only in use for a mixed lock, is clear now)
        assembly ("memory-safe") {
            sstore(l.slot, 0)
            sstore(add(l.slot, 1), 0)
        }
        if (orch == owner && $.selfLocks[orch] == lockId + 1) delete $.selfLocks[orch];
    }

    function _setDelegate(
        BondingManagerStorage storage $,
        StakeLedger.Delegator storage d,
        address owner,
        address to,
        uint256 round
    ) internal {
        if (to != owner && !$.orchestrators[to].registered) revert NotOrchestrator(to);
        if (d.delegate == owner) {
            StakeLedger.Orchestrator storage own = $.orchestrators[owner];
            own.registered = false;
            _syncActive($, own, owner, round);
        }
        d.delegate = to;
        if (to == owner && !$.orchestrators[owner].registered) {
            $.orchestrators[owner].registered = true;
            emit OrchestratorRegistered(owner);
        }
    }

    /// @dev Adds `amount` of young stake to a settled delegator holding `stake`, maturing a maturity
    /// period from now. `mayDelay`: whether a young part it still has in an earlier
    /// entry may move to the new one (only the owner's own actions may delay it).
    function _addStake(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address orch,
        address owner,
        uint256 stake,
        uint256 amount,
        uint256 round,
        bool mayDelay
    ) internal {
        if (stake == 0 && owner != orch) o.delegatorCount += 1;
        (, uint256 maturityPeriod) = _periods($, round);
        uint256 maturity = round + maturityPeriod;
        if (!mayDelay && d.youngNorm != 0) {
            uint256 due = uint32(o.entries[d.youngIndex].a); // settled: a young part still pending
            if (due < maturity) revert YoungStakePending(owner, due);
        }
        o.enter(d, amount, round, maturity);
        _syncActive($, o, orch, round);
    }

    /// @dev Takes `amount` out of a settled delegator's stake (young first); returns the mature
    /// part of it (the part that keeps a fee tail).
    function _removeStake(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address orch,
        address owner,
        uint256 amount,
        uint256 round
    ) internal returns (uint256 mature) {
        mature = o.leave(d, amount);
        if (owner != orch && d.bonded == 0 && d.youngNorm == 0) o.delegatorCount -= 1;
        _syncActive($, o, orch, round);
    }

    /// @dev Opens a lock of `amount` LPT (none if `feeOnly`) of which `mature` keeps a fee tail for a
    /// maturity period (its exit entry); young stake leaves without one. The tokens are withdrawable
    /// after the unbonding period (and never before the tail exits); a fee-only lock closes when
    /// its tail exits.
    function _openLock(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address owner,
        address orch,
        uint256 amount,
        uint256 mature,
        uint256 round,
        bool feeOnly
    ) internal returns (uint256 lockId) {
        (uint256 index, uint256 withdrawRound) = _scheduleLock($, o, mature, round, feeOnly);
        lockId = d.nextLockId;
        d.nextLockId = SafeCast.toUint24(lockId + 1);
        StakeLedger.Lock storage l = $.locks[owner][lockId];
        bool mixed = mature != 0 && amount != mature;
        // forge-lint: disable-next-line(unsafe-typecast)
        l.amount = uint112(mature == 0 ? amount : mature); // a stake just taken out of a uint112 pool
        l.cffTokenCheckpoint = mature == 0 ? 0 : o.cffToken;
        l.orchestrator = orch;
        l.round = SafeCast.toUint40(withdrawRound);
        l.exitIndex = SafeCast.toUint32(index);
        l.feeOnly = feeOnly;
        l.tailless = mature == 0;
        l.mixed = mixed;
        // forge-lint: disable-next-line(unsafe-typecast)
        if (mixed) l.young = uint112(amount - mature); // below `amount`, a uint112-sized stake
        if (!feeOnly) emit Unbonded(owner, orch, lockId, amount, withdrawRound);
    }

    /// @dev Queues the fee tail of `mature` stake leaving in `round` for a maturity period (its
    /// exit entry `index`) and returns the round the lock opens from: the unbonding period's end
    /// (a fee-only lock: its exit), never before its exit.
    function _scheduleLock(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        uint256 mature,
        uint256 round,
        bool feeOnly
    ) private returns (uint256 index, uint256 withdrawRound) {
        (uint256 unbondingPeriod, uint256 maturityPeriod) = _periods($, round);
        uint256 exitRound = round + maturityPeriod;
        if (mature != 0) (index, exitRound) = o.scheduleExit(round, exitRound, mature);
        withdrawRound = round + unbondingPeriod;
        if (feeOnly || withdrawRound < exitRound) withdrawRound = exitRound;
    }

    /// @dev Settles `owner`'s earnings with `orch` and returns its stake (event only if it changed).
    function _claim(
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address owner,
        address orch
    ) internal returns (uint256 stake) {
        uint256 before = d.bonded;
        uint256 fees;
        uint256 tail;
        uint256 epoch;
        (stake, fees, tail, epoch) = o.settle(d);
        // the mature stake changed (rewards, a slash, young stake that matured) or fees were booked
        if (fees != 0 || d.bonded != before) emit EarningsClaimed(owner, orch, stake, fees);
        if (tail != 0) _openWipeTail(o, d, owner, orch, tail, epoch);
    }

    /// @dev The fee-only lock of a position of wiped epoch `epoch`: `tail`, its mature stake at the
    /// wipe, shares the pool's fees from the wipe's exit entry (see `StakeLedger.cut`) until it exits.
    function _openWipeTail(
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address owner,
        address orch,
        uint256 tail,
        uint256 epoch
    ) internal {
        uint256 rec = o.wipedEntryHead[epoch]; // entryHead | exit index << 24 | cffToken << 56
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 index = uint32(rec >> 24);
        uint256 exitRound = uint32(o.exits[index].round);
        uint256 lockId = d.nextLockId;
        d.nextLockId = SafeCast.toUint24(lockId + 1);
        StakeLedger.Lock storage l = _storage().locks[owner][lockId];
        l.amount = SafeCast.toUint112(tail);
        // forge-lint: disable-next-line(unsafe-typecast)
        l.cffTokenCheckpoint = uint144(rec >> 56); // stored from a uint144
        l.orchestrator = orch;
        l.round = SafeCast.toUint40(exitRound);
        // forge-lint: disable-next-line(unsafe-typecast)
        l.exitIndex = uint32(index); // stored from a uint32
        l.feeOnly = true;
        emit WipeTailOpened(owner, orch, lockId, tail, exitRound);
    }

    /// @dev Brings a pool to `round`: credits the fees the TicketBroker holds for it (first, so that
    /// they are split over the pool as it was when the tickets were redeemed), drops expired fee
    /// tails and applies due cuts.
    function _touch(BondingManagerStorage storage $, address orch, uint256 round)
        internal
        returns (StakeLedger.Orchestrator storage o)
    {
        o = $.orchestrators[orch];
        if (o.crf == 0) o.crf = StakeLedger.INITIAL_CRF;
        // Held fees first, over the pool as of its last touch: every fee tail still in (a leaver's
        // share can't be dropped by a late touch) and every entry not matured yet still young (stake
        // that entered after the tickets were created can't share them).
        if (o.feesPending) _collectFees($, o, orch, round);
        o.processExits(round);
        o.processEntries(round);
        if (o.foldCuts(round)) emit CutsApplied(orch, o.rewardCut, o.feeShare, o.feeShareSince);
    }

    /// @dev Takes the fees the TicketBroker noted for `orch` (`noteFees`) and credits them as of their
    /// creation rounds, older round first. Before crediting the fees of creation round `c`, the pool's
    /// queues are brought forward (never past `round`) only through what moved before `c`: the fee
    /// tails of stake that left before `c` end and the young stake that entered before `c` matures,
    /// while a tail of stake that left in or after `c` stays and stake that entered in or after `c`
    /// stays young. Queue entries carry the round their stake moved, so this holds whatever the
    /// unbonding period was when they were queued (governance may change it while fees are held).
    /// That is the pool as it was for those tickets, however late the touch comes (see
    /// docs/staking.md). The broker validated every ticket (creation round not in the future).
    function _collectFees(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        address orch,
        uint256 round
    ) internal {
        o.feesPending = false;
        (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB) =
            IFeeVault(controller.getContract(ContractIds.TICKET_BROKER)).takeFees(orch);
        if (amountA != 0 && amountB != 0 && roundB < roundA) {
            (roundA, amountA, roundB, amountB) = (roundB, amountB, roundA, amountA);
        }
        if (amountA != 0) _creditHeld($, o, orch, amountA, roundA, round);
        if (amountB != 0) _creditHeld($, o, orch, amountB, roundB, round);
    }

    function _creditHeld(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        address orch,
        uint256 amount,
        uint256 creationRound,
        uint256 round
    ) private {
        o.processBefore(round, creationRound);
        _credit($, o, orch, amount, creationRound);
    }

    /// @dev Splits `amount` of fees of tickets created in `creationRound`: the pool's share by the fee
    /// share in force then, the rest to the orchestrator. The pool must have been touched.
    function _credit(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        address orch,
        uint256 amount,
        uint256 creationRound
    ) internal {
        (, uint256 feeShare) = o.cutsAt(creationRound);
        uint256 poolFees = amount * feeShare / PPM;
        if (poolFees == 0 || !o.creditPool(poolFees)) poolFees = 0;
        uint256 orchestratorCut = amount - poolFees;
        if (orchestratorCut != 0) $.delegators[orch].fees += SafeCast.toUint96(orchestratorCut);
        emit FeesCredited(orch, creationRound, amount, orchestratorCut);
    }

    /// @dev Re-evaluates the stake `orch` counts from the next round, and the totals with it.
    function _syncActive(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        address orch,
        uint256 round
    ) internal {
        uint256 stake = o.totalStake;
        uint256 next = o.registered && stake >= $.minActiveStake ? stake : 0;
        uint256 prev = o.active.next;
        if (next == prev) return;
        o.active.setNext(round, next);
        $.totalStake.setNext(round, $.totalStake.next + next - prev);
        if (prev == 0 || next == 0) {
            uint256 count = $.totalCount.next;
            $.totalCount.setNext(round, prev == 0 ? count + 1 : count - 1);
            o.activity.push(SafeCast.toUint48(round + 1), prev == 0 ? 1 : 0);
        }
        emit ActiveStakeChanged(orch, next, round + 1);
    }

    function _known(StakeLedger.RoundValue storage v, uint256 round) internal view returns (uint256 value) {
        bool known;
        (value, known) = v.valueAt(round);
        if (!known) revert HistoryUnavailable(round);
    }

    /// @dev Sets the unbonding period, keeping the maturity period and its last change.
    function _setUnbondingPeriod(BondingManagerStorage storage $, uint256 value) internal {
        if (value == 0 || value > MAX_UNBONDING_PERIOD) revert InvalidUnbondingPeriod(value);
        (, uint256 maturity, uint256 previous, uint256 since) = _unpackPeriods($.unbondingPeriod);
        $.unbondingPeriod = _packPeriods(value, maturity, previous, since);
        emit UnbondingPeriodSet(value);
    }

    /// @dev Changes the maturity period to `value` (`minimum`, at least 1, to the unbonding period)
    /// from round `round`, once the last change has run its course (`_maturityChangeEnd`). A
    /// shortening declines by one round per round from the period in force, so stake that moves
    /// later never matures, nor stops sharing fees, before stake that moved earlier (review of the
    /// maturity period: a token in two pools' fees at once); a lengthening applies at once to stake
    /// that moves, and the ticket validity may follow it only a full new period later
    /// (`_maturityBound`).
    function _setMaturityPeriod(
        BondingManagerStorage storage $,
        uint256 value,
        uint256 minimum,
        uint256 round
    ) internal {
        (uint256 unbonding, uint256 maturity, uint256 previous, uint256 since) =
            _unpackPeriods($.unbondingPeriod);
        if (minimum == 0) minimum = 1;
        if (value < minimum || value > unbonding) revert InvalidMaturityPeriod(value, minimum, unbonding);
        // the last change has run its course: a shortening declined to its value, a lengthening's
        // bound on the ticket validity reached it (nothing to wait for if none was recorded)
        if (maturity != 0 && previous != 0) {
            uint256 end = previous > maturity ? since + previous - maturity : since + maturity;
            if (round < end) revert MaturityChangePending(end);
        }
        (, uint256 current) = _periods($, round);
        $.unbondingPeriod = _packPeriods(unbonding, value, current, round);
        emit MaturityPeriodSet(value);
    }

    /// @dev The fields of `BondingManagerStorage.unbondingPeriod`: the unbonding period, the
    /// maturity period (0: unset), the maturity period before its last change, that change's round.
    function _unpackPeriods(uint256 packed)
        internal
        pure
        returns (uint256 unbonding, uint256 maturity, uint256 previous, uint256 since)
    {
        return (packed & 0xff, (packed >> 8) & 0xff, (packed >> 16) & 0xff, (packed >> 24) & 0xffffffff);
    }

    /// @dev The inverse of `_unpackPeriods` (periods are at most `MAX_UNBONDING_PERIOD`).
    function _packPeriods(uint256 unbonding, uint256 maturity, uint256 previous, uint256 since)
        internal
        pure
        returns (uint64)
    {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64(unbonding | maturity << 8 | previous << 16 | SafeCast.toUint32(since) << 24);
    }

    /// @dev The unbonding period and the maturity period in force for stake that moves in `round`
    /// (see `_unpackPeriods` and `_setMaturityPeriod`).
    function _periods(BondingManagerStorage storage $, uint256 round)
        internal
        view
        returns (uint256 unbondingPeriod, uint256 maturityPeriod)
    {
        // on every bond and unbond: the fields of `_unpackPeriods` read only as far as needed
        uint256 packed = $.unbondingPeriod;
        unbondingPeriod = packed & 0xff;
        maturityPeriod = (packed >> 8) & 0xff;
        if (maturityPeriod == 0) return (unbondingPeriod, unbondingPeriod);
        uint256 previous = (packed >> 16) & 0xff;
        if (previous > maturityPeriod) {
            uint256 since = (packed >> 24) & 0xffffffff;
            uint256 elapsed = round > since ? round - since : 0;
            if (previous - maturityPeriod > elapsed) maturityPeriod = previous - elapsed;
        }
    }

    /// @dev The longest ticket validity the ledger supports in `round`: the maturity period, except
    /// for a full new period after a lengthening, when it stays the shorter one before it (stake
    /// that moved under that one matured, and its tails ended, that early; a longer validity would
    /// also apply to tickets created then). During a shortening, every stake's period is at least
    /// the new one.
    function _maturityBound(BondingManagerStorage storage $, uint256 round) internal view returns (uint256) {
        (uint256 unbonding, uint256 maturity, uint256 previous, uint256 since) =
            _unpackPeriods($.unbondingPeriod);
        if (maturity == 0) return unbonding;
        if (previous != 0 && previous < maturity && round < since + maturity) return previous;
        return maturity;
    }

    function _setMinActiveStake(BondingManagerStorage storage $, uint256 value) internal {
        if (value == 0) revert InvalidMinActiveStake(value);
        $.minActiveStake = SafeCast.toUint128(value);
        emit MinActiveStakeSet(value);
    }

    function _notPaused() internal view {
        if (controller.paused()) revert ProtocolIsPaused();
    }

    /// @dev The current round, from the cache while it lasts; the first call of a round refreshes it.
    function _round() internal returns (uint256 round) {
        BondingManagerStorage storage $ = _storage();
        if (block.number < $.cachedRoundEnd) return $.cachedRound;
        uint256 end;
        (round, end) = IRoundsManager(controller.getContract(ContractIds.ROUNDS_MANAGER)).currentRoundAndEnd();
        $.cachedRound = SafeCast.toUint32(round);
        $.cachedRoundEnd = SafeCast.toUint32(end);
    }

    /// @dev The current round, for views (asks the RoundsManager).
    function _roundView() internal view returns (uint256) {
        return IRoundsManager(controller.getContract(ContractIds.ROUNDS_MANAGER)).currentRound();
    }

    function _token() internal view returns (ILivepeerToken) {
        return ILivepeerToken(controller.getContract(ContractIds.LIVEPEER_TOKEN));
    }

    function _minter() internal view returns (IMinter) {
        return IMinter(controller.getContract(ContractIds.MINTER));
    }

    function _storage() internal pure returns (BondingManagerStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
