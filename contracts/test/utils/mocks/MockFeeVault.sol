// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFeeIntake} from "../../../src/interfaces/IFeeIntake.sol";
import {IFeeVault} from "../../../src/interfaces/IFeeVault.sol";

/// @notice Stands in for the TicketBroker: holds ETH, credits fees to the BondingManager as a
/// redemption would, and pays withdrawals when the BondingManager asks.
contract MockFeeVault is IFeeVault {
    error NotBondingManager(address caller);

    IFeeIntake public immutable bondingManager;

    constructor(IFeeIntake bondingManager_) {
        bondingManager = bondingManager_;
    }

    /// @notice Stands in for `TicketBroker.ticketValidityPeriod` (read by `setUnbondingPeriod`).
    uint256 public ticketValidityPeriod = 2;

    receive() external payable {}

    function setTicketValidityPeriod(uint256 period) external {
        ticketValidityPeriod = period;
    }

    /// @notice What a winning-ticket redemption does on the staking side.
    function credit(address orchestrator, uint256 amount, uint256 creationRound) external {
        bondingManager.creditFees(orchestrator, amount, creationRound);
    }

    /// @notice Fees held per orchestrator and creation round, not yet taken (two rounds at a time,
    /// like the TicketBroker's bucket).
    mapping(address orchestrator => uint256[4]) private _held;

    /// @notice What a redemption does on the staking side now: the vault keeps the fees and notes
    /// them (`noteFees`); the BondingManager takes them at the next touch of the pool.
    function hold(address orchestrator, uint256 amount, uint256 creationRound) external {
        uint256[4] storage b = _held[orchestrator];
        bool sameA = b[0] == creationRound && b[1] != 0;
        bool sameB = b[2] == creationRound && b[3] != 0;
        if (!sameA && !sameB) {
            bool full = b[1] != 0 && b[3] != 0;
            require(bondingManager.noteFees(orchestrator, creationRound, full), "MockFeeVault: not active");
            if (b[1] == 0 || b[0] == creationRound) {
                b[0] = creationRound;
                sameA = true;
            } else {
                b[2] = creationRound;
            }
        }
        if (sameA) b[1] += amount;
        else b[3] += amount;
    }

    /// @inheritdoc IFeeVault
    function takeFees(address orchestrator)
        external
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB)
    {
        if (msg.sender != address(bondingManager)) revert NotBondingManager(msg.sender);
        uint256[4] storage b = _held[orchestrator];
        (roundA, amountA, roundB, amountB) = (b[0], b[1], b[2], b[3]);
        b[1] = 0;
        b[3] = 0;
    }

    /// @inheritdoc IFeeVault
    function payFees(address payable to, uint256 amount) external {
        if (msg.sender != address(bondingManager)) revert NotBondingManager(msg.sender);
        emit FeesPaid(to, amount);
        (bool ok,) = to.call{value: amount}("");
        require(ok, "MockFeeVault: transfer failed");
    }
}
