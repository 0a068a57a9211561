// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFeeVault
/// @notice The TicketBroker holds the ETH of redeemed tickets until their earners withdraw it. The
/// staking contract, which keeps the per-orchestrator and per-delegator fee accounting, asks the
/// vault to pay out.
interface IFeeVault {
    /// @notice Fees were paid out of the vault.
    /// @param to The recipient.
    /// @param amount The amount in wei.
    event FeesPaid(address indexed to, uint256 amount);

    /// @notice Pays `amount` wei of credited fees to `to`. Only the registered BondingManager.
    /// @param to The recipient.
    /// @param amount The amount in wei.
    function payFees(address payable to, uint256 amount) external;
}
