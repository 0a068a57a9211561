// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BondingManagerCore} from "./BondingManagerCore.sol";
import {IController} from "./interfaces/IController.sol";
import {IFaultVerifier} from "./interfaces/IFaultVerifier.sol";
import {ILivepeerToken} from "./interfaces/ILivepeerToken.sol";
import {ITicketBroker} from "./interfaces/ITicketBroker.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {StakeLedger} from "./libraries/StakeLedger.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title BondingManagerAdmin
/// @notice The fault-verifier and governance functions of the {BondingManager}, deployed by it and
/// reached only by `delegatecall` from it (so they run on the BondingManager proxy's storage, with
/// its caller): kept apart so that the BondingManager stays under the EIP-170 size limit. Called
/// directly, it only sees its own, empty storage. Documentation: {IBondingManager}, {IStakeSlasher}.
contract BondingManagerAdmin is BondingManagerCore {
    using StakeLedger for StakeLedger.Orchestrator;
    using StakeLedger for StakeLedger.RoundValue;
    using Checkpoints for Checkpoints.Trace208;

    /// @param controller_ The Controller of the deployment (the BondingManager's).
    constructor(IController controller_) BondingManagerCore(controller_) {}

    /// @notice See {BondingManager-initialize}.
    function initialize(uint256 unbondingPeriod_, uint256 maturityPeriod_, uint256 minActiveStake_)
        external
        initializer
    {
        BondingManagerStorage storage $ = _storage();
        _setUnbondingPeriod($, unbondingPeriod_);
        if (maturityPeriod_ > unbondingPeriod_) {
            revert InvalidMaturityPeriod(maturityPeriod_, 1, unbondingPeriod_);
        }
        // no change recorded: in force as it is from the start
        if (maturityPeriod_ != 0) $.unbondingPeriod = _packPeriods(unbondingPeriod_, maturityPeriod_, 0, 0);
        _setMinActiveStake($, minActiveStake_);
    }

    // ================================================================== orchestrators

    /// @notice See {IBondingManager}.
    function announceCuts(uint256 rewardCut, uint256 feeShare) external {
        _notPaused();
        if (rewardCut > PPM) revert InvalidCut(rewardCut);
        if (feeShare > PPM) revert InvalidCut(feeShare);
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Orchestrator storage o = _touch($, msg.sender, round);
        if (!o.registered) revert NotOrchestrator(msg.sender);
        // Nobody to protect (no delegators, no fee tails of delegators that left): from the next
        // round, never the current one. Otherwise after a full unbonding period, which also keeps
        // changes far enough apart for the one step of fee-share history `creditFees` reads.
        bool alone = o.delegatorCount == 0 && o.leavingWeight == 0;
        (uint256 unbondingPeriod,,,) = _unpackPeriods($.unbondingPeriod);
        uint256 effective = round + (alone ? 1 : unbondingPeriod);
        // forge-lint: disable-next-line(unsafe-typecast)
        o.nextRewardCut = uint24(rewardCut); // both checked against PPM above
        // forge-lint: disable-next-line(unsafe-typecast)
        o.nextFeeShare = uint24(feeShare);
        o.cutEffectiveRound = SafeCast.toUint32(effective);
        emit CutsAnnounced(msg.sender, rewardCut, feeShare, effective);
    }

    /// @notice See {IBondingManager}.
    function rebond(uint256 lockId) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        address to = $.delegators[msg.sender].delegate;
        if (to == address(0)) revert NotDelegated(msg.sender);
        _rebond($, to, lockId);
    }

    /// @notice See {IBondingManager}.
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

    /// @notice See {IBondingManager}.
    function checkpoint(address orchestrator) external {
        _notPaused();
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        _syncActive($, _touch($, orchestrator, round), orchestrator, round);
    }

    // ================================================================== fault verifier

    /// @notice See {IStakeSlasher}.
    function slash(address orchestrator, uint256 fractionPpm, address finder, uint256 finderFeePpm)
        external
        onlyRegistered(ContractIds.FAULT_VERIFIER)
        returns (uint256 slashed, uint256 finderFee)
    {
        if (fractionPpm > PPM) revert InvalidPenalty(fractionPpm);
        if (finderFeePpm > PPM) revert InvalidPenalty(finderFeePpm);
        BondingManagerStorage storage $ = _storage();
        uint256 round = _round();
        StakeLedger.Orchestrator storage o = _touch($, orchestrator, round);
        // The finder fee comes from the orchestrator's own penalty only (its self-bond and its
        // self-unbonding lock); the delegators' part is all burned. So reporting one's own fault,
        // from any number of accounts, always costs (1 - finderFee) of the own penalty.
        uint256 own;
        (slashed, own) = _cutPool($, o, orchestrator, fractionPpm, round);
        uint256 lockCut = _slashSelfLock($, o, orchestrator, fractionPpm);
        slashed += lockCut;
        if (slashed == 0) return (0, 0);
        _syncActive($, o, orchestrator, round);
        own += lockCut;
        if (own > slashed) own = slashed;
        finderFee = finder == address(0) ? 0 : own * finderFeePpm / PPM;
        emit Slashed(orchestrator, finder, slashed, finderFee);
        ILivepeerToken token = _token();
        if (finderFee != 0) SafeERC20.safeTransfer(token, finder, finderFee);
        if (slashed != finderFee) token.burn(slashed - finderFee);
    }

    /// @dev Cuts `fractionPpm` of the pool's bonded stake; `own` is what the orchestrator's own
    /// position lost (its self-bond, as its stake reads before and after).
    function _cutPool(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        address orchestrator,
        uint256 fractionPpm,
        uint256 round
    ) private returns (uint256 slashed, uint256 own) {
        slashed = uint256(o.totalStake) * fractionPpm / PPM;
        if (slashed == 0) return (0, 0);
        StakeLedger.Delegator storage self = $.delegators[orchestrator];
        bool selfBonded = self.delegate == orchestrator;
        uint256 ownBefore;
        if (selfBonded) (ownBefore,,) = o.pending(self);
        (, uint256 maturityPeriod) = _periods($, round);
        slashed = o.cut(slashed, round, round + maturityPeriod);
        if (!selfBonded) return (slashed, 0);
        (uint256 ownAfter,,) = o.pending(self);
        own = ownBefore > ownAfter ? ownBefore - ownAfter : 0;
    }

    /// @dev Cuts `fractionPpm` of the orchestrator's open self-unbonding lock (review H-4): its own
    /// stake stays slashable until withdrawn (the unbonding period, which outlasts its fee tail).
    /// The lock's fee-tail weight shrinks with it from now on, on top of the tail factor that every
    /// fee tail of the pool shrinks by (`StakeLedger.cut`); the fees it earned before are paid.
    function _slashSelfLock(
        BondingManagerStorage storage $,
        StakeLedger.Orchestrator storage o,
        address orchestrator,
        uint256 fractionPpm
    ) private returns (uint256 cut) {
        uint256 idPlusOne = $.selfLocks[orchestrator];
        if (idPlusOne == 0) return 0;
        StakeLedger.Lock storage l = $.locks[orchestrator][idPlusOne - 1];
        // the fees its tail earned so far are its own: paid now, at its weight before the cut
        uint256 fees = o.settleLock(l);
        if (fees != 0) {
            $.delegators[orchestrator].fees += SafeCast.toUint96(fees);
            emit LockFeesPaid(orchestrator, idPlusOne - 1, fees);
        }
        uint256 young = l.young; // a partly young lock: its young tokens are cut too
        if (young != 0) {
            uint256 youngCut = young * fractionPpm / PPM;
            // forge-lint: disable-next-line(unsafe-typecast)
            l.young = uint112(young - youngCut); // below the stored uint112
            cut = youngCut;
        }
        uint256 amount = l.amount;
        uint256 weightCut = amount * fractionPpm / PPM;
        if (weightCut == 0) return cut;
        cut += weightCut;
        // forge-lint: disable-next-line(unsafe-typecast)
        l.amount = uint112(amount - weightCut); // below the stored uint112
        if (!l.tailless && l.exitIndex >= o.exitHead) {
            // still in the fee pool: take the cut out of its exit entry and the leaving weight, in the
            // entry's units (the lock's units are recomputed from its amount when it closes)
            StakeLedger.Exit storage e = o.exits[l.exitIndex];
            uint256 tf = e.tailFactor;
            uint256 units = StakeLedger.tailUnits(amount, tf) - StakeLedger.tailUnits(amount - weightCut, tf);
            // forge-lint: disable-next-line(unsafe-typecast)
            e.amount -= uint112(units); // at most the lock's units, which are in the entry
            // forge-lint: disable-next-line(unsafe-typecast)
            o.leavingWeight -= uint112(units);
        }
    }

    /// @notice See {IStakeSlasher}.
    function freezeStake(address orchestrator) external onlyRegistered(ContractIds.FAULT_VERIFIER) {
        StakeLedger.Orchestrator storage o = _storage().orchestrators[orchestrator];
        uint256 count = o.freezeCount + 1;
        o.freezeCount = SafeCast.toUint16(count);
        emit Frozen(orchestrator, count);
    }

    /// @notice See {IStakeSlasher}.
    function unfreezeStake(address orchestrator) external onlyRegistered(ContractIds.FAULT_VERIFIER) {
        StakeLedger.Orchestrator storage o = _storage().orchestrators[orchestrator];
        uint256 count = o.freezeCount;
        if (count == 0) revert NotFrozen(orchestrator);
        o.freezeCount = SafeCast.toUint16(count - 1);
        emit Unfrozen(orchestrator, count - 1);
    }

    // ================================================================== governance

    /// @notice See {IBondingManager}.
    /// @dev Review L-4: never below the maturity period (itself never below the broker's ticket
    /// validity: the fee-theft guard) nor at or below the FaultVerifier's challenge window (a cheater
    /// could withdraw before a challenge), read through the Controller when it is registered. While
    /// the maturity period was never set (storage of an earlier version) it follows this one, which
    /// must then stay at least the ticket validity itself.
    function setUnbondingPeriod(uint256 unbondingPeriod_) external onlyGovernance {
        BondingManagerStorage storage $ = _storage();
        (uint256 previous, uint256 maturity,,) = _unpackPeriods($.unbondingPeriod); // maturity 0: unset
        uint256 minimum = maturity == 0 ? _ticketValidity() : maturity;
        if (unbondingPeriod_ < minimum) revert UnbondingPeriodTooShort(unbondingPeriod_, minimum);
        address verifier = controller.getContract(ContractIds.FAULT_VERIFIER);
        if (verifier != address(0)) {
            uint256 window = IFaultVerifier(verifier).params().challengeWindowRounds;
            if (unbondingPeriod_ <= window) revert UnbondingPeriodTooShort(unbondingPeriod_, window + 1);
        }
        _setUnbondingPeriod($, unbondingPeriod_);
        // An unset maturity period followed the unbonding period: it becomes a change of it, from
        // the old period to the new one (a shortening declines), and is set from then on.
        if (maturity == 0 && unbondingPeriod_ != previous) {
            $.unbondingPeriod = _packPeriods(unbondingPeriod_, previous, 0, 0);
            _setMaturityPeriod($, unbondingPeriod_, 1, _round());
        }
    }

    /// @notice See {IBondingManager}.
    /// @dev Never below the broker's ticket validity (read through the Controller once registered):
    /// a ticket must expire before stake that entered after it was created could earn from it, and
    /// before stake that left after it was created stops sharing its fees.
    function setMaturityPeriod(uint256 maturityPeriod_) external onlyGovernance {
        _setMaturityPeriod(_storage(), maturityPeriod_, _ticketValidity(), _round());
    }

    /// @dev The registered TicketBroker's ticket validity period (0 before one is registered).
    function _ticketValidity() private view returns (uint256) {
        address broker = controller.getContract(ContractIds.TICKET_BROKER);
        return broker == address(0) ? 0 : ITicketBroker(broker).ticketValidityPeriod();
    }

    /// @notice See {IBondingManager}.
    function resetRoundCache() external onlyGovernance {
        BondingManagerStorage storage $ = _storage();
        $.cachedRound = 0;
        $.cachedRoundEnd = 0;
        emit RoundCacheReset();
    }

    /// @notice See {IBondingManager}.
    function setMinActiveStake(uint256 minActiveStake_) external onlyGovernance {
        _setMinActiveStake(_storage(), minActiveStake_);
    }

    // ================================================================== views
    // Reached by the BondingManager's view stubs (a `delegatecall` typed as a view): they write nothing.

    /// @notice See {IFeeIntake}.
    function isActiveOrchestrator(address orchestrator, uint256 round) external view returns (bool) {
        return _storage().orchestrators[orchestrator].activity.upperLookup(SafeCast.toUint48(round)) != 0;
    }

    /// @notice See {IBondingManager}.
    function activeOrchestratorCount(uint256 round) external view returns (uint256) {
        return _known(_storage().totalCount, round);
    }

    /// @notice See {IBondingManager}.
    function delegatorInfo(address delegator)
        external
        view
        returns (address delegate, uint256 stake, uint256 fees)
    {
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[delegator];
        delegate = d.delegate;
        (stake, fees,) = $.orchestrators[delegate].pending(d);
        fees += d.fees;
    }

    /// @notice See {IBondingManager}.
    function pendingEarnings(address delegator) external view returns (uint256 rewards, uint256 fees) {
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Delegator storage d = $.delegators[delegator];
        StakeLedger.Orchestrator storage o = $.orchestrators[d.delegate];
        (uint256 stake, uint256 f, uint256 young) = o.pending(d);
        fees = f;
        // what the position was worth at its checkpoint: a young part that matured since counts at
        // its norm (its value at entry, less any slash since: an approximation after a slash)
        uint256 yn = d.youngNorm;
        uint256 principal = uint256(d.bonded) + (young != 0 ? young : yn);
        rewards = stake > principal ? stake - principal : 0;
    }

    /// @notice See {IBondingManager}.
    function lockInfo(address delegator, uint256 lockId)
        external
        view
        returns (address orchestrator, uint256 amount, uint256 round, bool feeOnly)
    {
        StakeLedger.Lock storage l = _storage().locks[delegator][lockId];
        return (l.orchestrator, uint256(l.amount) + l.young, l.round, l.feeOnly);
    }

    /// @notice See {IBondingManager}.
    function lockWeight(address delegator, uint256 lockId) external view returns (uint256) {
        BondingManagerStorage storage $ = _storage();
        StakeLedger.Lock storage l = $.locks[delegator][lockId];
        if (l.tailless) return 0;
        StakeLedger.Orchestrator storage o = $.orchestrators[l.orchestrator];
        uint256 units = StakeLedger.tailUnits(l.amount, o.exits[l.exitIndex].tailFactor);
        uint256 tf = o.tailFactor; // partial slashes since it left scale its weight like the pool's
        return tf == 0 ? units : units * tf / StakeLedger.TAIL_ONE;
    }
}
