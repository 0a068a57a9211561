// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {IBondingManager} from "./interfaces/IBondingManager.sol";
import {IController} from "./interfaces/IController.sol";
import {IFeeIntake} from "./interfaces/IFeeIntake.sol";
import {IFeeVault} from "./interfaces/IFeeVault.sol";
import {ILivepeerToken} from "./interfaces/ILivepeerToken.sol";
import {IMinter} from "./interfaces/IMinter.sol";
import {IRoundsManager} from "./interfaces/IRoundsManager.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {StakeLedger} from "./libraries/StakeLedger.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title BondingManager
/// @notice Staking, delegation, the open active set and earnings. See {IBondingManager}.
/// @dev Nothing loops over orchestrators or delegators. The active set is kept incrementally: each
/// orchestrator's active stake and the totals (stake, count) are one-slot `RoundValue`s written for
/// `currentRound + 1` whenever a pool changes (exact for the current and next round, and back to the
/// previous write); whether an orchestrator is active has a full per-round history, written only
/// when it flips. Earnings use the cumulative factors of {StakeLedger}.
///
/// Fee theft guard (docs/staking.md): `creditFees` splits fees by the fee share in force in the
/// tickets' creation round, over a pool that still counts, for `unbondingPeriod` rounds, the weight
/// of every delegator that left it. As long as tickets expire within the unbonding period, a
/// delegator that leaves still receives its share of every ticket created while it was bonded, so
/// holding tickets until delegators leave gains the orchestrator nothing.
contract BondingManager is IBondingManager, Controlled {
    using StakeLedger for StakeLedger.Orchestrator;
    using StakeLedger for StakeLedger.RoundValue;
    using Checkpoints for Checkpoints.Trace208;

    /// @custom:storage-location erc7201:streamflow.storage.BondingManager
    struct BondingManagerStorage {
        uint64 unbondingPeriod;
        uint128 minActiveStake;
        StakeLedger.RoundValue totalStake;
        StakeLedger.RoundValue totalCount;
        mapping(address orchestrator => StakeLedger.Orchestrator) orchestrators;
        mapping(address delegator => StakeLedger.Delegator) delegators;
        mapping(address delegator => mapping(uint256 lockId => StakeLedger.Lock)) locks;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.BondingManager")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0x126d2d45c7e64d88ae7014d23929887c3e9a60462a80d0c6c2e0cbeaeb585100;

    /// @notice Parts per million.
    uint256 public constant PPM = StakeLedger.PPM;
    /// @notice The longest unbonding period governance may set (bounds the fee-tail queue).
    uint256 public constant MAX_UNBONDING_PERIOD = 30;

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Sets the unbonding period and the minimum active stake.
    function initialize(uint256 unbondingPeriod_, uint256 minActiveStake_) external initializer {
        BondingManagerStorage storage $ = _storage();
        _setUnbondingPeriod($, unbondingPeriod_);
        _setMinActiveStake($, minActiveStake_);
    }

    // ================================================================== moving stake

    /// @inheritdoc IBondingManager
    function bond(uint256 amount, address to) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        address current = d.delegate;
        if (current != address(0) && current != to) {
            if (d.bonded != 0) _redelegate($, msg.sender, to, round);
            else _setDelegate($, d, msg.sender, to, round);
        } else if (amount == 0) {
            revert ZeroAmount();
        }
        if (amount != 0) _bond($, msg.sender, to, amount, round);
    }

    /// @inheritdoc IBondingManager
    function bondFor(uint256 amount, address owner) external {
        _notPaused();
        if (amount == 0) revert ZeroAmount();
        BondingManagerStorage storage $ = _storage();
        address to = $.delegators[owner].delegate;
        if (to == address(0)) revert NotDelegated(owner);
        _bond($, owner, to, amount, _round());
    }

    /// @inheritdoc IBondingManager
    function redelegate(address to) external returns (uint256 lockId) {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        if (d.delegate == to) revert AlreadyDelegated(to);
        if (d.bonded == 0) revert InsufficientStake(0, 1);
        return _redelegate($, msg.sender, to, _round());
    }

    /// @inheritdoc IBondingManager
    function unbond(uint256 amount) external returns (uint256 lockId) {
        _notPaused();
        if (amount == 0) revert ZeroAmount();
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        address orch = d.delegate;
        StakeLedger.Orchestrator storage o = _touch($, orch, round);
        if (o.freezeCount != 0) revert StakeFrozen(orch);
        uint256 stake = _claim(o, d, msg.sender, orch);
        if (stake < amount) revert InsufficientStake(stake, amount);
        _removeStake($, o, d, orch, msg.sender, amount, round);
        lockId = _openLock($, o, d, msg.sender, orch, amount, round, false);
    }

    /// @inheritdoc IBondingManager
    function rebond(uint256 lockId) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        address to = $.delegators[msg.sender].delegate;
        if (to == address(0)) revert NotDelegated(msg.sender);
        _rebond($, to, lockId);
    }

    /// @inheritdoc IBondingManager
    function rebondFromUnbonded(address to, uint256 lockId) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        address current = d.delegate;
        if (current != address(0)) {
            uint256 stake = _claim(_touch($, current, _round()), d, msg.sender, current);
            if (stake != 0) revert StillBonded(stake);
        }
        _rebond($, to, lockId);
    }

    /// @inheritdoc IBondingManager
    function withdrawStake(uint256 lockId) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Lock storage l = $.locks[msg.sender][lockId];
        address orch = l.orchestrator;
        if (orch == address(0)) revert UnknownLock(lockId);
        uint256 round = _round();
        if (l.round > round) revert LockNotWithdrawable(lockId, l.round);
        StakeLedger.Orchestrator storage o = _touch($, orch, round);
        if (o.freezeCount != 0) revert StakeFrozen(orch);
        uint256 fees = o.closeLock(l, round);
        uint256 amount = l.feeOnly ? 0 : l.amount;
        delete $.locks[msg.sender][lockId];
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        if (fees != 0) d.fees += SafeCast.toUint96(fees);
        emit StakeWithdrawn(msg.sender, lockId, amount, fees);
        if (amount != 0) SafeERC20.safeTransfer(_token(), msg.sender, amount);
    }

    // ================================================================== earnings

    /// @inheritdoc IBondingManager
    function claimEarnings() external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        address orch = d.delegate;
        if (orch == address(0)) revert NotDelegated(msg.sender);
        _claim(_touch($, orch, _round()), d, msg.sender, orch);
    }

    /// @inheritdoc IBondingManager
    function withdrawFees(address payable to, uint256 amount) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        address orch = d.delegate;
        if (orch != address(0)) _claim(_touch($, orch, _round()), d, msg.sender, orch);
        uint256 have = d.fees;
        if (amount == 0) revert ZeroAmount();
        if (have < amount) revert InsufficientFees(have, amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        d.fees = uint96(have - amount); // below `have`, itself a uint96
        emit FeesWithdrawn(msg.sender, to, amount);
        IFeeVault(controller.getContract(ContractIds.TICKET_BROKER)).payFees(to, amount);
    }

    /// @inheritdoc IBondingManager
    function announceCuts(uint256 rewardCut, uint256 feeShare) external {
        _notPaused();
        if (rewardCut > PPM) revert InvalidCut(rewardCut);
        if (feeShare > PPM) revert InvalidCut(feeShare);
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Orchestrator storage o = _touch($, msg.sender, round);
        if (!o.registered) revert NotOrchestrator(msg.sender);
        // Nobody else to protect: from the next round (never the current one, whose tickets may
        // belong to delegators that just left). Otherwise after a full unbonding period.
        uint256 effective = round + (o.delegatorCount == 0 ? 1 : $.unbondingPeriod);
        // forge-lint: disable-next-line(unsafe-typecast)
        o.nextRewardCut = uint32(rewardCut); // both checked against PPM above
        // forge-lint: disable-next-line(unsafe-typecast)
        o.nextFeeShare = uint32(feeShare);
        o.cutEffectiveRound = SafeCast.toUint64(effective);
        emit CutsAnnounced(msg.sender, rewardCut, feeShare, effective);
    }

    /// @inheritdoc IBondingManager
    function reward() external returns (uint256 amount) {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Orchestrator storage o = _touch($, msg.sender, round);
        (uint256 stake,) = o.active.valueAt(round);
        if (stake == 0) revert NotActive(msg.sender, round);
        if (o.lastRewardRound == round) revert AlreadyRewarded(msg.sender, round);
        o.lastRewardRound = SafeCast.toUint64(round);
        (uint256 total,) = $.totalStake.valueAt(round);
        // Stake that left the pool during the round earns nothing: rewarding it would hand its share
        // to whoever stayed (and could blow up the reward factor of a nearly empty pool).
        uint256 bonded = o.totalStake;
        amount = _minter().createReward(stake < bonded ? stake : bonded, total);
        (uint256 rewardCut,) = o.cutsAt(round);
        uint256 orchestratorCut = amount * rewardCut / PPM;
        if (!o.compound(amount - orchestratorCut)) orchestratorCut = amount;
        if (orchestratorCut != 0) {
            StakeLedger.Delegator storage self = $.delegators[msg.sender];
            o.settle(self);
            self.bonded += SafeCast.toUint112(orchestratorCut);
            o.totalStake += SafeCast.toUint112(orchestratorCut);
        }
        emit Reward(msg.sender, round, amount, orchestratorCut);
        _syncActive($, o, msg.sender, round);
    }

    /// @inheritdoc IFeeIntake
    function creditFees(address orchestrator, uint256 amount, uint256 creationRound)
        external
        onlyRegistered(ContractIds.TICKET_BROKER)
    {
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        if (creationRound > round) revert FutureCreationRound(creationRound, round);
        StakeLedger.Orchestrator storage o = _touch($, orchestrator, round);
        (, uint256 feeShare) = o.cutsAt(creationRound);
        uint256 poolFees = amount * feeShare / PPM;
        if (poolFees == 0 || !o.creditPool(poolFees)) poolFees = 0;
        uint256 orchestratorCut = amount - poolFees;
        if (orchestratorCut != 0) $.delegators[orchestrator].fees += SafeCast.toUint96(orchestratorCut);
        emit FeesCredited(orchestrator, creationRound, amount, orchestratorCut);
    }

    /// @inheritdoc IBondingManager
    function checkpoint(address orchestrator) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        _syncActive($, _touch($, orchestrator, round), orchestrator, round);
    }

    // ================================================================== fault verifier

    /// @inheritdoc IBondingManager
    function slash(address orchestrator, uint256 penaltyPpm, address finder, uint256 finderFeePpm)
        external
        onlyRegistered(ContractIds.FAULT_VERIFIER)
        returns (uint256 penalty)
    {
        if (penaltyPpm > PPM) revert InvalidPenalty(penaltyPpm);
        if (finderFeePpm > PPM) revert InvalidPenalty(finderFeePpm);
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Orchestrator storage o = _touch($, orchestrator, round);
        penalty = uint256(o.totalStake) * penaltyPpm / PPM;
        if (penalty == 0) return 0;
        penalty = o.cut(penalty);
        _syncActive($, o, orchestrator, round);
        uint256 finderFee = finder == address(0) ? 0 : penalty * finderFeePpm / PPM;
        emit Slashed(orchestrator, finder, penalty, finderFee);
        ILivepeerToken token = _token();
        if (finderFee != 0) SafeERC20.safeTransfer(token, finder, finderFee);
        if (penalty != finderFee) token.burn(penalty - finderFee);
    }

    /// @inheritdoc IBondingManager
    function freeze(address orchestrator) external onlyRegistered(ContractIds.FAULT_VERIFIER) {
        StakeLedger.Orchestrator storage o = _storage().orchestrators[orchestrator];
        uint256 count = o.freezeCount + 1;
        o.freezeCount = SafeCast.toUint16(count);
        emit Frozen(orchestrator, count);
    }

    /// @inheritdoc IBondingManager
    function unfreeze(address orchestrator) external onlyRegistered(ContractIds.FAULT_VERIFIER) {
        StakeLedger.Orchestrator storage o = _storage().orchestrators[orchestrator];
        uint256 count = o.freezeCount;
        if (count == 0) revert NotFrozen(orchestrator);
        o.freezeCount = SafeCast.toUint16(count - 1);
        emit Unfrozen(orchestrator, count - 1);
    }

    // ================================================================== governance

    /// @inheritdoc IBondingManager
    function setUnbondingPeriod(uint256 unbondingPeriod_) external onlyGovernance {
        _setUnbondingPeriod(_storage(), unbondingPeriod_);
    }

    /// @inheritdoc IBondingManager
    function setMinActiveStake(uint256 minActiveStake_) external onlyGovernance {
        _setMinActiveStake(_storage(), minActiveStake_);
    }

    // ================================================================== views

    /// @inheritdoc IFeeIntake
    function isActiveOrchestrator(address orchestrator, uint256 round) external view returns (bool) {
        return
            _storage().orchestrators[orchestrator].activity.upperLookupRecent(SafeCast.toUint48(round)) != 0;
    }

    /// @inheritdoc IBondingManager
    function activeStake(address orchestrator, uint256 round) external view returns (uint256 stake) {
        StakeLedger.Orchestrator storage o = _storage().orchestrators[orchestrator];
        bool known;
        (stake, known) = o.active.valueAt(round);
        if (known) return stake;
        if (o.activity.upperLookupRecent(SafeCast.toUint48(round)) == 0) return 0;
        revert HistoryUnavailable(round);
    }

    /// @inheritdoc IBondingManager
    function totalActiveStake(uint256 round) external view returns (uint256) {
        return _known(_storage().totalStake, round);
    }

    /// @inheritdoc IBondingManager
    function activeOrchestratorCount(uint256 round) external view returns (uint256) {
        return _known(_storage().totalCount, round);
    }

    /// @inheritdoc IBondingManager
    function delegatorInfo(address delegator)
        external
        view
        returns (address delegate, uint256 stake, uint256 fees)
    {
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[delegator];
        delegate = d.delegate;
        (stake, fees) = $.orchestrators[delegate].pending(d);
        fees += d.fees;
    }

    /// @inheritdoc IBondingManager
    function pendingEarnings(address delegator) external view returns (uint256 rewards, uint256 fees) {
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[delegator];
        uint256 stake;
        (stake, fees) = $.orchestrators[d.delegate].pending(d);
        rewards = stake > d.bonded ? stake - d.bonded : 0;
    }

    /// @inheritdoc IBondingManager
    function isOrchestrator(address account) external view returns (bool) {
        return _storage().orchestrators[account].registered;
    }

    /// @inheritdoc IBondingManager
    function orchestratorInfo(address orchestrator) external view returns (OrchestratorView memory v) {
        StakeLedger.Orchestrator storage o = _storage().orchestrators[orchestrator];
        v.registered = o.registered;
        v.totalStake = o.totalStake;
        v.leavingWeight = o.leavingWeight;
        (v.rewardCut, v.feeShare) = o.cutsAt(_round());
        v.nextRewardCut = o.nextRewardCut;
        v.nextFeeShare = o.nextFeeShare;
        v.cutEffectiveRound = o.cutEffectiveRound;
        v.lastRewardRound = o.lastRewardRound;
        v.delegatorCount = o.delegatorCount;
        v.freezeCount = o.freezeCount;
    }

    /// @inheritdoc IBondingManager
    function lockInfo(address delegator, uint256 lockId)
        external
        view
        returns (address orchestrator, uint256 amount, uint256 round, bool feeOnly)
    {
        StakeLedger.Lock storage l = _storage().locks[delegator][lockId];
        return (l.orchestrator, l.amount, l.round, l.feeOnly);
    }

    /// @inheritdoc IBondingManager
    function unbondingPeriod() external view returns (uint256) {
        return _storage().unbondingPeriod;
    }

    /// @inheritdoc IBondingManager
    function minActiveStake() external view returns (uint256) {
        return _storage().minActiveStake;
    }

    // ================================================================== internals

    /// @dev Adds `amount` (pulled from the caller) to `owner`'s stake with `to`.
    function _bond(BondingManagerStorage storage $, address owner, address to, uint256 amount, uint256 round)
        private
    {
        StakeLedger.Delegator storage d = $.delegators[owner];
        if (d.delegate == address(0)) _setDelegate($, d, owner, to, round);
        StakeLedger.Orchestrator storage o = _touch($, to, round);
        uint256 stake = _claim(o, d, owner, to);
        _addStake($, o, d, to, owner, stake, amount, round);
        emit Bonded(owner, to, msg.sender, amount);
        SafeERC20.safeTransferFrom(_token(), msg.sender, address(this), amount);
    }

    /// @dev Moves `owner`'s whole stake to `to`, leaving a fee-only lock in the old pool.
    function _redelegate(BondingManagerStorage storage $, address owner, address to, uint256 round)
        private
        returns (uint256 lockId)
    {
        StakeLedger.Delegator storage d = $.delegators[owner];
        address from = d.delegate;
        StakeLedger.Orchestrator storage oldPool = _touch($, from, round);
        uint256 stake = _claim(oldPool, d, owner, from);
        if (stake != 0 && oldPool.freezeCount != 0) revert StakeFrozen(from);
        if (stake != 0) {
            _removeStake($, oldPool, d, from, owner, stake, round);
            lockId = _openLock($, oldPool, d, owner, from, stake, round, true);
        }
        _setDelegate($, d, owner, to, round);
        StakeLedger.Orchestrator storage newPool = _touch($, to, round);
        _claim(newPool, d, owner, to);
        if (stake != 0) _addStake($, newPool, d, to, owner, 0, stake, round);
        emit Redelegated(owner, from, to, stake);
    }

    /// @dev Bonds lock `lockId` of the caller to `to`.
    function _rebond(BondingManagerStorage storage $, address to, uint256 lockId) private {
        StakeLedger.Lock storage l = $.locks[msg.sender][lockId];
        address from = l.orchestrator;
        if (from == address(0)) revert UnknownLock(lockId);
        if (l.feeOnly) revert FeeOnlyLock(lockId);
        uint256 round = _round();
        StakeLedger.Delegator storage d = $.delegators[msg.sender];
        uint256 fees = _touch($, from, round).closeLock(l, round);
        uint256 amount = l.amount;
        delete $.locks[msg.sender][lockId];
        if (fees != 0) d.fees += SafeCast.toUint96(fees);
        if (d.delegate != to) _setDelegate($, d, msg.sender, to, round);
        StakeLedger.Orchestrator storage o = _touch($, to, round);
        uint256 stake = _claim(o, d, msg.sender, to);
        _addStake($, o, d, to, msg.sender, stake, amount, round);
        emit Rebonded(msg.sender, to, lockId, amount);
    }

    function _setDelegate(
        BondingManagerStorage storage $,
        StakeLedger.Delegator storage d,
        address owner,
        address to,
        uint256 round
    ) private {
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

    function _addStake(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address orch,
        address owner,
        uint256 stake,
        uint256 amount,
        uint256 round
    ) private {
        if (stake == 0 && owner != orch) o.delegatorCount += 1;
        d.bonded = SafeCast.toUint112(stake + amount);
        o.totalStake += SafeCast.toUint112(amount);
        _syncActive($, o, orch, round);
    }

    function _removeStake(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address orch,
        address owner,
        uint256 amount,
        uint256 round
    ) private {
        uint256 left = d.bonded - amount;
        // forge-lint: disable-next-line(unsafe-typecast)
        d.bonded = uint112(left); // below the stored uint112
        if (left == 0 && owner != orch) o.delegatorCount -= 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        o.totalStake -= uint112(amount); // at most the delegator's stake, itself at most the pool
        _syncActive($, o, orch, round);
    }

    function _openLock(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address owner,
        address orch,
        uint256 amount,
        uint256 round,
        bool feeOnly
    ) private returns (uint256 lockId) {
        (uint256 index, uint256 exitRound) = o.scheduleExit(round + $.unbondingPeriod, amount);
        lockId = d.nextLockId;
        d.nextLockId = SafeCast.toUint32(lockId + 1);
        $.locks[owner][lockId] = StakeLedger.Lock({
            orchestrator: orch,
            round: SafeCast.toUint48(exitRound),
            exitIndex: SafeCast.toUint40(index),
            feeOnly: feeOnly,
            // forge-lint: disable-next-line(unsafe-typecast)
            amount: uint112(amount), // a stake just taken out of a uint112 pool
            cffTokenCheckpoint: o.cffToken
        });
        if (!feeOnly) emit Unbonded(owner, orch, lockId, amount, exitRound);
    }

    /// @dev Settles `owner`'s earnings with `orch` and returns its stake (event only if it changed).
    function _claim(
        StakeLedger.Orchestrator storage o,
        StakeLedger.Delegator storage d,
        address owner,
        address orch
    ) private returns (uint256 stake) {
        uint256 before = d.bonded;
        uint256 fees;
        (stake, fees) = o.settle(d);
        if (fees != 0 || stake != before) emit EarningsClaimed(owner, orch, stake, fees);
    }

    /// @dev Brings a pool to `round`: drops expired fee tails and applies due cuts.
    function _touch(BondingManagerStorage storage $, address orch, uint256 round)
        private
        returns (StakeLedger.Orchestrator storage o)
    {
        o = $.orchestrators[orch];
        o.processExits(round);
        if (o.foldCuts(round)) emit CutsApplied(orch, o.rewardCut, o.feeShare, o.feeShareSince);
        if (o.crf == 0) o.crf = StakeLedger.INITIAL_CRF;
    }

    /// @dev Re-evaluates the stake `orch` counts from the next round, and the totals with it.
    function _syncActive(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        address orch,
        uint256 round
    ) private {
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

    function _known(StakeLedger.RoundValue storage v, uint256 round) private view returns (uint256 value) {
        bool known;
        (value, known) = v.valueAt(round);
        if (!known) revert HistoryUnavailable(round);
    }

    function _setUnbondingPeriod(BondingManagerStorage storage $, uint256 value) private {
        if (value == 0 || value > MAX_UNBONDING_PERIOD) revert InvalidUnbondingPeriod(value);
        // forge-lint: disable-next-line(unsafe-typecast)
        $.unbondingPeriod = uint64(value); // at most MAX_UNBONDING_PERIOD
        emit UnbondingPeriodSet(value);
    }

    function _setMinActiveStake(BondingManagerStorage storage $, uint256 value) private {
        if (value == 0) revert InvalidMinActiveStake(value);
        $.minActiveStake = SafeCast.toUint128(value);
        emit MinActiveStakeSet(value);
    }

    function _notPaused() private view {
        if (controller.paused()) revert ProtocolIsPaused();
    }

    function _round() private view returns (uint256) {
        return IRoundsManager(controller.getContract(ContractIds.ROUNDS_MANAGER)).currentRound();
    }

    function _token() private view returns (ILivepeerToken) {
        return ILivepeerToken(controller.getContract(ContractIds.LIVEPEER_TOKEN));
    }

    function _minter() private view returns (IMinter) {
        return IMinter(controller.getContract(ContractIds.MINTER));
    }

    function _storage() internal pure returns (BondingManagerStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
