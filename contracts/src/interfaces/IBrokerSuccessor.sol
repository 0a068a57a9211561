// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IBrokerSuccessor
/// @notice What a TicketBroker offers the broker it replaces. When governance replaces the broker (a
/// new one at a new address), it registers the new one as `TicketBroker` and the old one as
/// `PreviousTicketBroker` in the Controller, in one batch. From then on the old broker (upgraded in
/// place to {IRetiredTicketBroker}) sends the new one: senders' funds they move, the fees it held
/// for orchestrators, and the ETH of the fees the staking contract had already credited. The new
/// broker accepts value only from the account registered as `PreviousTicketBroker`.
/// @dev Fees held by the old broker reach the staking contract through the new one: the first time
/// the new broker touches an orchestrator's fee bucket (its first redemption, `takeFees`, a fee push
/// or `handOverFees`) it takes what the old broker still holds for that orchestrator. The
/// BondingManager only ever talks to the registered broker.
interface IBrokerSuccessor {
    /// @notice A sender's funds arrived from the previous broker (also emitted: `Funded`).
    /// @param sender The sender credited.
    /// @param deposit Wei added to its deposit.
    /// @param reserve Wei added to its reserve.
    event FundsMovedIn(address indexed sender, uint256 deposit, uint256 reserve);

    /// @notice Fees the previous broker held for `orchestrator` now sit in this broker's fee bucket
    /// (or were handed to the staking contract at once by `takeFees`).
    /// @param orchestrator The orchestrator.
    /// @param amount The wei taken over.
    event HeldFeesTakenOver(address indexed orchestrator, uint256 amount);

    /// @notice The ETH of fees the staking contract had credited through the previous broker and not
    /// paid out yet arrived; `payFees` may now pay it.
    /// @param amount The wei.
    event FeesOwedTakenOver(uint256 amount);

    /// @notice Value was sent by an account other than the registered previous broker.
    /// @param caller The caller.
    error NotPreviousBroker(address caller);

    /// @notice The previous broker moves a sender's funds here. Adds them to the sender's deposit and
    /// reserve without touching its unlock state, as `fundDepositAndReserveFor` does. Only the
    /// registered previous broker; `msg.value` must equal `deposit + reserve`.
    /// @param sender The sender.
    /// @param deposit Wei for the deposit.
    /// @param reserve Wei for the reserve.
    function acceptMovedFunds(address sender, uint256 deposit, uint256 reserve) external payable;

    /// @notice The previous broker hands over fees of `orchestrator`'s tickets it redeemed and has not
    /// handed to the staking contract: they join this broker's fee bucket (the staking contract is
    /// told, as for a redemption here) and are credited at the next touch of the pool. Only the
    /// registered previous broker; `msg.value` must equal `amountA + amountB`.
    /// @param orchestrator The tickets' recipient.
    /// @param roundA A creation round.
    /// @param amountA Wei of tickets created in `roundA` (0: none).
    /// @param roundB Another creation round.
    /// @param amountB Wei of tickets created in `roundB` (0: none).
    function acceptHeldFees(
        address orchestrator,
        uint256 roundA,
        uint256 amountA,
        uint256 roundB,
        uint256 amountB
    ) external payable;

    /// @notice The previous broker sends the ETH of the fees already credited by the staking contract
    /// and not paid out, so that this broker's `payFees` can pay them. Only the registered previous
    /// broker.
    function acceptFeesOwed() external payable;

    /// @notice Takes over what the previous broker still holds for `orchestrator`, if this broker has
    /// never touched the orchestrator's fee bucket (otherwise it already did). Anyone may call it: it
    /// only moves fees between the two brokers, to the same orchestrator, as of the same rounds. Not
    /// needed for correctness (the first touch does it), but it empties the old broker.
    /// @param orchestrator The orchestrator.
    /// @return amount The wei taken over.
    function handOverFees(address orchestrator) external returns (uint256 amount);

    /// @notice The fees the staking contract took (`takeFees`) and has not had paid (`payFees`): the
    /// ETH this broker holds for fees already credited. `payFees` never pays more.
    /// @return The wei.
    function feesOwed() external view returns (uint256);
}
