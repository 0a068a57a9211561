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

    /// @inheritdoc IFeeVault
    function payFees(address payable to, uint256 amount) external {
        if (msg.sender != address(bondingManager)) revert NotBondingManager(msg.sender);
        emit FeesPaid(to, amount);
        (bool ok,) = to.call{value: amount}("");
        require(ok, "MockFeeVault: transfer failed");
    }
}
