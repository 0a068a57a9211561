// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "../../src/Controlled.sol";
import {IActiveSetView} from "../../src/interfaces/IActiveSetView.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IFeeIntake} from "../../src/interfaces/IFeeIntake.sol";
import {IFeeVault} from "../../src/interfaces/IFeeVault.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {IUnbondingPeriod} from "../../src/interfaces/IUnbondingPeriod.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";

/// @title FeeIntakeStub
/// @notice TEST STAND-IN for the BondingManager, only as much of staking as the TicketBroker needs:
/// an active set per round with stakes, set by governance (no bonding, no token), fee credits per
/// (orchestrator, round), and a fee claim that has the broker pay out. Deployed behind a
/// `ControlledProxy` and registered under `BONDING_MANAGER`, like the real one will be, so the
/// broker's gas figures include a real proxy hop. The integrator swaps in the real BondingManager.
contract FeeIntakeStub is IFeeIntake, IActiveSetView, IUnbondingPeriod, Controlled {
    /// @notice Fees were credited.
    event FeesCredited(address indexed orchestrator, uint256 indexed round, uint256 amount);

    /// @notice Nothing to claim.
    error NoFees(address orchestrator, uint256 round);

    mapping(uint256 round => mapping(address orchestrator => uint256)) private _stake;
    mapping(uint256 round => uint256) private _totalStake;
    mapping(address orchestrator => mapping(uint256 round => uint256)) private _fees;
    /// @notice Test bookkeeping: all fees ever paid out through the broker.
    uint256 public totalPaid;
    /// @notice Test bookkeeping: all fees ever credited (collected from the broker or pushed).
    uint256 public totalCredited;
    uint256 private _unbondingPeriod;
    mapping(address orchestrator => bool) private _feesPending;

    constructor(IController controller_) Controlled(controller_) {}

    function initialize() external initializer {}

    /// @notice Sets `orchestrator`'s stake in `round` (zero: not active). Only governance.
    function setStake(address orchestrator, uint256 round, uint256 stake) external onlyGovernance {
        _totalStake[round] = _totalStake[round] - _stake[round][orchestrator] + stake;
        _stake[round][orchestrator] = stake;
    }

    /// @notice Sets the unbonding period the broker checks its ticket validity against (0: the
    /// staking default of 7 rounds). Only governance.
    function setUnbondingPeriod(uint256 period) external onlyGovernance {
        _unbondingPeriod = period;
    }

    /// @inheritdoc IUnbondingPeriod
    function unbondingPeriod() public view returns (uint256) {
        return _unbondingPeriod == 0 ? 7 : _unbondingPeriod;
    }

    /// @notice The maturity period: the unbonding period (the stub has one period for both).
    function maturityPeriod() external view returns (uint256) {
        return unbondingPeriod();
    }

    /// @inheritdoc IFeeIntake
    function isActiveOrchestrator(address orchestrator, uint256 round) external view returns (bool) {
        return _stake[round][orchestrator] != 0;
    }

    /// @inheritdoc IActiveSetView
    function activeStake(address orchestrator, uint256 round) external view returns (uint256) {
        return _stake[round][orchestrator];
    }

    /// @inheritdoc IActiveSetView
    function totalActiveStake(uint256 round) external view returns (uint256) {
        return _totalStake[round];
    }

    /// @inheritdoc IFeeIntake
    function creditFees(address orchestrator, uint256 amount, uint256 creationRound)
        external
        onlyRegistered(ContractIds.TICKET_BROKER)
    {
        _collect(orchestrator);
        _credit(orchestrator, amount, creationRound);
    }

    /// @inheritdoc IFeeIntake
    /// @dev Like the BondingManager: notes that the broker holds fees (taken at the next `collect`,
    /// the stand-in for a touch of the pool) and answers the activity.
    function noteFees(address orchestrator, uint256 creationRound, bool collectFirst)
        external
        onlyRegistered(ContractIds.TICKET_BROKER)
        returns (bool active)
    {
        if (collectFirst) _collect(orchestrator);
        active = _stake[creationRound][orchestrator] != 0;
        if (active && !_feesPending[orchestrator]) _feesPending[orchestrator] = true;
    }

    /// @notice Takes and credits what the broker holds for `orchestrator`, as a touch of its pool
    /// does in the BondingManager.
    function collect(address orchestrator) external {
        _collect(orchestrator);
    }

    function _collect(address orchestrator) private {
        if (!_feesPending[orchestrator]) return;
        _feesPending[orchestrator] = false;
        (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB) =
            IFeeVault(controller.getContract(ContractIds.TICKET_BROKER)).takeFees(orchestrator);
        if (amountA != 0) _credit(orchestrator, amountA, roundA);
        if (amountB != 0) _credit(orchestrator, amountB, roundB);
    }

    function _credit(address orchestrator, uint256 amount, uint256 round) private {
        _fees[orchestrator][round] += amount;
        totalCredited += amount;
        emit FeesCredited(orchestrator, round, amount);
    }

    /// @notice Fees earned by `orchestrator` for `round` and not yet claimed: credited, or still held
    /// by the broker (not collected yet).
    function feesOf(address orchestrator, uint256 round) external view returns (uint256 fees) {
        fees = _fees[orchestrator][round];
        (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB) =
            ITicketBroker(controller.getContract(ContractIds.TICKET_BROKER)).pendingFees(orchestrator);
        if (roundA == round) fees += amountA;
        if (roundB == round) fees += amountB;
    }

    /// @notice Fees credited (collected from the broker) to `orchestrator` for `round`.
    function creditedFeesOf(address orchestrator, uint256 round) external view returns (uint256) {
        return _fees[orchestrator][round];
    }

    /// @notice Pays the caller its fees of `round` through the broker's `payFees` (collecting first).
    function claimFees(uint256 round) external {
        _collect(msg.sender);
        uint256 amount = _fees[msg.sender][round];
        if (amount == 0) revert NoFees(msg.sender, round);
        _fees[msg.sender][round] = 0;
        totalPaid += amount;
        IFeeVault(controller.getContract(ContractIds.TICKET_BROKER)).payFees(payable(msg.sender), amount);
    }
}
