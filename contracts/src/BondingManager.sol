// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BondingManagerCore} from "./BondingManagerCore.sol";
import {IActiveSetView} from "./interfaces/IActiveSetView.sol";
import {IBondingManager} from "./interfaces/IBondingManager.sol";
import {IControlled} from "./interfaces/IControlled.sol";
import {IController} from "./interfaces/IController.sol";
import {IFaultVerifier} from "./interfaces/IFaultVerifier.sol";
import {IFeeIntake} from "./interfaces/IFeeIntake.sol";
import {IFeeVault} from "./interfaces/IFeeVault.sol";
import {ILivepeerToken} from "./interfaces/ILivepeerToken.sol";
import {IStakeSlasher} from "./interfaces/IStakeSlasher.sol";
import {ITicketBroker} from "./interfaces/ITicketBroker.sol";
import {IUnbondingPeriod} from "./interfaces/IUnbondingPeriod.sol";
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
/// tickets' creation round, over a pool that still counts, for `maturityPeriod` rounds, the weight
/// of every delegator that left it. As long as tickets expire within the maturity period, a
/// delegator that leaves still receives its share of every ticket created while it was bonded, so
/// holding tickets until delegators leave gains the orchestrator nothing.
///
/// Young stake (review C-1/H-3, docs/staking.md): stake that enters a pool earns neither fees nor
/// rewards for `maturityPeriod` rounds (it is bonded, slashable and active at once), and young stake
/// that leaves keeps no fee tail. So a token shares the fees of at most one pool at a time, stake that
/// entered after a ticket's creation round gets none of its fees, and a round's reward goes only to
/// stake that was in the pool for the whole round.
contract BondingManager is BondingManagerCore, IBondingManager {
    using StakeLedger for StakeLedger.Orchestrator;
    using StakeLedger for StakeLedger.RoundValue;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice The extension holding the fault-verifier and governance functions (see `_admin`).
    address public immutable ADMIN;

    /// @notice Builds an implementation that reaches `admin_` (a {BondingManagerAdmin} deployed
    /// beforehand with the same Controller) by `delegatecall`. The admin is deployed on its own so
    /// that this contract's creation code does not embed the admin's (EIP-3860 initcode limit).
    /// @dev Reverts with `AdminWithoutCode` if `admin_` has no code, and with `AdminOfOtherController`
    /// if its `controller()` is not `controller_` (an admin of another deployment).
    /// @param controller_ The Controller of this deployment.
    /// @param admin_ The BondingManagerAdmin of this deployment, deployed with `controller_`.
    constructor(IController controller_, address admin_) BondingManagerCore(controller_) {
        if (admin_.code.length == 0) revert AdminWithoutCode(admin_);
        address adminController = address(IControlled(admin_).controller());
        if (adminController != address(controller_)) {
            revert AdminOfOtherController(admin_, adminController, address(controller_));
        }
        ADMIN = admin_;
    }

    /// @notice Sets the unbonding period, the maturity period (at most the unbonding period; 0: it
    /// follows the unbonding period until governance sets it; the TicketBroker, registered later,
    /// checks its ticket validity period against it) and the minimum active stake. Once, through
    /// the proxy.
    /// @dev In {BondingManagerAdmin} (size; called once).
    function initialize(uint256, uint256, uint256) external {
        _admin();
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
            if (d.bonded != 0 || d.youngNorm != 0) _redelegate($, msg.sender, to, round);
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
        if (d.bonded == 0 && d.youngNorm == 0) revert InsufficientStake(0, 1);
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
        uint256 stake = _claim(o, d, msg.sender, orch);
        if (stake < amount) revert InsufficientStake(stake, amount);
        if (orch == msg.sender && $.selfLocks[orch] != 0) revert SelfUnbondingPending($.selfLocks[orch] - 1);
        uint256 mature = _removeStake($, o, d, orch, msg.sender, amount, round);
        lockId = _openLock($, o, d, msg.sender, orch, amount, mature, round, false);
        if (orch == msg.sender) $.selfLocks[orch] = lockId + 1;
    }

    /// @inheritdoc IBondingManager
    /// @dev In {BondingManagerAdmin} (size; rarely called): reached by `delegatecall`.
    function rebond(uint256 lockId) external {
        lockId; // named as in the ABI
        _admin();
    }

    /// @inheritdoc IBondingManager
    /// @dev In {BondingManagerAdmin} (size): reached by `delegatecall`.
    function rebondFromUnbonded(address, uint256) external {
        _admin();
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
        // A pending challenge holds only the orchestrator's own lock: delegators always leave.
        if (o.freezeCount != 0 && orch == msg.sender) revert StakeFrozen(orch);
        uint256 fees = o.closeLock(l);
        uint256 amount = _closeLockSlots($, l, msg.sender, orch, lockId);
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
    /// @dev In {BondingManagerAdmin} (size): reached by `delegatecall`.
    function announceCuts(uint256, uint256) external {
        _admin();
    }

    /// @inheritdoc IBondingManager
    function reward() external returns (uint256 amount) {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Orchestrator storage o = _touch($, msg.sender, round);
        (uint256 stake,) = o.active.valueAt(round);
        // A pool whose orchestrator moved its self-bond away earns nothing more (its cut would land
        // in a delegator record that now belongs to another pool).
        if (stake == 0 || !o.registered) revert NotActive(msg.sender, round);
        if (o.lastRewardRound == round) revert AlreadyRewarded(msg.sender, round);
        o.lastRewardRound = SafeCast.toUint64(round);
        (uint256 total,) = $.totalStake.valueAt(round);
        // Stake that left the pool during the round earns nothing: rewarding it would hand its share
        // to whoever stayed (and could blow up the reward factor of a nearly empty pool). Young
        // stake earns nothing either (review H-3), so nothing is minted for it.
        uint256 mature = o.matureStake();
        amount = _minter().createReward(stake < mature ? stake : mature, total);
        (uint256 rewardCut,) = o.cutsAt(round);
        uint256 orchestratorCut = amount * rewardCut / PPM;
        if (!o.compound(amount - orchestratorCut)) orchestratorCut = amount;
        if (orchestratorCut != 0) {
            StakeLedger.Delegator storage self = $.delegators[msg.sender];
            (,, uint256 tail, uint256 epoch) = o.settle(self);
            if (tail != 0) _openWipeTail(o, self, msg.sender, msg.sender, tail, epoch);
            self.bonded += SafeCast.toUint104(orchestratorCut); // earned in the pool: mature
            o.totalStake += SafeCast.toUint112(orchestratorCut);
        }
        emit Reward(msg.sender, round, amount, orchestratorCut);
        _syncActive($, o, msg.sender, round);
    }

    /// @inheritdoc IFeeIntake
    /// @dev Not pausable: it is accounting only, and the TicketBroker gates redemptions itself.
    function creditFees(address orchestrator, uint256 amount, uint256 creationRound)
        external
        onlyRegistered(ContractIds.TICKET_BROKER)
    {
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        if (creationRound > round) revert FutureCreationRound(creationRound, round);
        _credit($, _touch($, orchestrator, round), orchestrator, amount, creationRound);
    }

    /// @inheritdoc IFeeIntake
    /// @dev Not pausable, like `creditFees`. The cheap path of a redemption: the broker keeps the
    /// fees, this only raises the pool's `feesPending` flag (once) that makes `_touch` collect them.
    function noteFees(address orchestrator, uint256 creationRound, bool collectFirst)
        external
        onlyRegistered(ContractIds.TICKET_BROKER)
        returns (bool active)
    {
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Orchestrator storage o = $.orchestrators[orchestrator];
        if (collectFirst) _touch($, orchestrator, _round());
        // The pool's active stake answers for recent rounds in one slot; the full history otherwise.
        (uint256 stake, bool known) = o.active.valueAt(creationRound);
        active = known ? stake != 0 : o.activity.upperLookup(SafeCast.toUint48(creationRound)) != 0;
        if (active && !o.feesPending) o.feesPending = true;
    }

    /// @inheritdoc IBondingManager
    /// @dev In {BondingManagerAdmin} (size): reached by `delegatecall`.
    function checkpoint(address) external {
        _admin();
    }

    // ================================================================== fault verifier, governance
    // Implemented by {BondingManagerAdmin} (kept apart for the EIP-170 size limit) and reached by
    // `delegatecall`: same storage, same `msg.sender`.

    /// @inheritdoc IStakeSlasher
    function slash(address, uint256, address, uint256) external returns (uint256, uint256) {
        _admin();
    }

    /// @inheritdoc IStakeSlasher
    function freezeStake(address) external {
        _admin();
    }

    /// @inheritdoc IStakeSlasher
    function unfreezeStake(address) external {
        _admin();
    }

    /// @inheritdoc IBondingManager
    function setUnbondingPeriod(uint256) external {
        _admin();
    }

    /// @inheritdoc IBondingManager
    function setMaturityPeriod(uint256) external {
        _admin();
    }

    /// @inheritdoc IBondingManager
    function setMinActiveStake(uint256) external {
        _admin();
    }

    /// @inheritdoc IBondingManager
    function resetRoundCache() external {
        _admin();
    }

    /// @dev Runs the call in {BondingManagerAdmin} on this storage and returns (or reverts) as it does.
    function _admin() private {
        address admin = ADMIN;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), admin, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev Runs a view of {BondingManagerAdmin} on this storage: `_admin` typed as a view. Sound
    /// because the admin's views write nothing (and under STATICCALL nothing could be written).
    function _adminView() private view {
        _asView(_admin)();
    }

    function _asView(function() internal f) private pure returns (function() internal view v) {
        assembly ("memory-safe") {
            v := f
        }
    }

    // ================================================================== views

    /// @inheritdoc IFeeIntake
    function isActiveOrchestrator(address orchestrator, uint256 round) external view returns (bool active) {
        _adminView();
        orchestrator; // named as in the ABI; set by the admin view
        round;
        active;
    }

    /// @inheritdoc IActiveSetView
    function activeStake(address orchestrator, uint256 round) external view returns (uint256 stake) {
        StakeLedger.Orchestrator storage o = _storage().orchestrators[orchestrator];
        bool known;
        (stake, known) = o.active.valueAt(round);
        if (known) return stake;
        if (o.activity.upperLookup(SafeCast.toUint48(round)) == 0) return 0;
        revert HistoryUnavailable(round);
    }

    /// @inheritdoc IActiveSetView
    function totalActiveStake(uint256 round) external view returns (uint256) {
        return _known(_storage().totalStake, round);
    }

    /// @inheritdoc IBondingManager
    /// @dev In {BondingManagerAdmin} (size), like every view below that no contract calls.
    function activeOrchestratorCount(uint256 round) external view returns (uint256 count) {
        _adminView();
        round; // named as in the ABI; set by the admin view
        count;
    }

    /// @inheritdoc IBondingManager
    function delegatorInfo(address delegator)
        external
        view
        returns (address delegate, uint256 stake, uint256 fees)
    {
        _adminView();
        delegator; // named as in the ABI; set by the admin view
        delegate;
        stake;
        fees;
    }

    /// @inheritdoc IBondingManager
    function pendingEarnings(address delegator) external view returns (uint256 rewards, uint256 fees) {
        _adminView();
        delegator; // named as in the ABI; set by the admin view
        rewards;
        fees;
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
        uint256 tf = o.tailFactor; // partial slashes scale the tails' weight like the pool's
        v.leavingWeight = tf == 0 ? o.leavingWeight : uint256(o.leavingWeight) * tf / StakeLedger.TAIL_ONE;
        uint256 round = _roundView();
        (v.rewardCut, v.feeShare) = o.cutsAt(round);
        v.nextRewardCut = o.nextRewardCut;
        v.nextFeeShare = o.nextFeeShare;
        v.cutEffectiveRound = o.cutEffectiveRound;
        v.lastRewardRound = o.lastRewardRound;
        v.delegatorCount = o.delegatorCount;
        v.freezeCount = o.freezeCount;
        v.youngStake = o.youngStakeAt(round); // as of now, even if no touch matured the entries yet
    }

    /// @inheritdoc IBondingManager
    function lockInfo(address delegator, uint256 lockId)
        external
        view
        returns (address orchestrator, uint256 amount, uint256 round, bool feeOnly)
    {
        _adminView();
        delegator; // named as in the ABI; set by the admin view
        lockId;
        orchestrator;
        amount;
        round;
        feeOnly;
    }

    /// @inheritdoc IBondingManager
    function lockWeight(address delegator, uint256 lockId) external view returns (uint256 weight) {
        _adminView();
        delegator; // named as in the ABI; set by the admin view
        lockId;
        weight;
    }

    /// @inheritdoc IStakeSlasher
    function totalStakeOf(address orchestrator) external view returns (uint256) {
        return _storage().orchestrators[orchestrator].totalStake;
    }

    /// @inheritdoc IStakeSlasher
    function slashableStakeOf(address orchestrator) external view returns (uint256 stake) {
        BondingManagerStorage storage $ = _storage();
        stake = $.orchestrators[orchestrator].totalStake;
        uint256 idPlusOne = $.selfLocks[orchestrator];
        if (idPlusOne != 0) {
            StakeLedger.Lock storage l = $.locks[orchestrator][idPlusOne - 1];
            stake += uint256(l.amount) + l.young;
        }
    }

    /// @inheritdoc IUnbondingPeriod
    function unbondingPeriod() external view returns (uint256) {
        (uint256 period,,,) = _unpackPeriods(_storage().unbondingPeriod);
        return period;
    }

    /// @inheritdoc IUnbondingPeriod
    function maturityPeriod() external view returns (uint256) {
        return _maturityBound(_storage(), _roundView());
    }

    /// @inheritdoc IBondingManager
    function minActiveStake() external view returns (uint256) {
        return _storage().minActiveStake;
    }
}

