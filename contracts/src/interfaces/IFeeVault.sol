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

    /// @notice Hands the staking contract the fees the vault holds for `orchestrator` and has not
    /// handed over yet (at most two creation rounds), and forgets them. Accounting only: the ETH stays
    /// in the vault. Only the registered BondingManager.
    /// @param orchestrator The ticket recipient.
    /// @return roundA A creation round.
    /// @return amountA The fees of tickets created in `roundA` (wei; 0: none).
    /// @return roundB Another creation round.
    /// @return amountB The fees of tickets created in `roundB` (wei; 0: none).
    function takeFees(address orchestrator)
        external
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB);
}
