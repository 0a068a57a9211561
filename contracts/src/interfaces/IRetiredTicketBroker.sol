// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRetiredTicketBroker
/// @notice A TicketBroker that a new broker replaced. Its tickets stay redeemable here until they
/// expire (the EIP-712 domain names this broker's address); it takes no new funds; senders move their
/// funds to the registered broker; the fees of its redemptions go to the registered broker in the
/// same transaction. See `docs/ticket-broker.md` (Replacement) and `docs/migration.md`.
///
/// The move keeps the reserve's guarantee: `moveFunds` sends the deposit at once but leaves the
/// reserve here, claimable exactly as before by the orchestrators of every round, until every ticket
/// the sender could have issued before the move has expired (`releaseRound`); only then can it be
/// forwarded. No orchestrator's reserve allocation changes because of a move.
interface IRetiredTicketBroker {
    /// @notice A sender moved its funds towards `successor`.
    /// @param sender The sender.
    /// @param successor The registered broker that received them.
    /// @param deposit Wei of deposit sent now.
    /// @param reserve Wei of reserve sent now (zero while tickets can still claim it).
    /// @param releaseRound The round from which the remaining reserve can be forwarded (the sender's
    /// tickets here fail with `SenderUnlocked` from that round on).
    event FundsMoved(
        address indexed sender,
        address indexed successor,
        uint256 deposit,
        uint256 reserve,
        uint256 releaseRound
    );

    /// @notice A moving sender's remaining reserve was forwarded to `successor`.
    /// @param sender The sender.
    /// @param successor The registered broker.
    /// @param reserve The wei forwarded.
    event ReserveForwarded(address indexed sender, address indexed successor, uint256 reserve);

    /// @notice Fees held here for `orchestrator` were sent to `successor` (to its bucket, or taken).
    /// @param orchestrator The orchestrator.
    /// @param successor The registered broker.
    /// @param amount The wei.
    event HeldFeesHandedOver(address indexed orchestrator, address indexed successor, uint256 amount);

    /// @notice The ETH of fees credited and not paid went to `successor`.
    /// @param successor The registered broker.
    /// @param amount The wei.
    event FeesOwedHandedOver(address indexed successor, uint256 amount);

    /// @notice The broker is retired: it takes no new funds.
    error BrokerRetired();

    /// @notice No other broker is registered as `TicketBroker` (or this one still is).
    error NoSuccessor();

    /// @notice The caller is not the registered broker.
    /// @param caller The caller.
    error NotSuccessor(address caller);

    /// @notice `moveFunds` was called with nothing to move.
    /// @param sender The sender.
    error NothingToMove(address sender);

    /// @notice `forwardReserve` for a sender that did not move (or cancelled by `cancelUnlock`).
    /// @param sender The sender.
    error NotMoving(address sender);

    /// @notice The reserve still backs tickets issued before the move.
    /// @param currentRound The current round.
    /// @param releaseRound The first round it can be forwarded.
    error ReserveStillBacksTickets(uint256 currentRound, uint256 releaseRound);

    /// @notice Moves the caller's funds to the registered broker in one transaction: the deposit now;
    /// the reserve now only if the caller's unlock period is already over, else it stays here,
    /// claimable by the orchestrators as before, until `releaseRound = min(withdrawRound,
    /// currentRound + ticketValidityPeriod)`, when anyone may `forwardReserve` it. Sets the caller's
    /// unlock to end at `releaseRound`: every ticket it signed before the move has expired by then.
    /// The caller may instead `withdraw` the reserve to itself from that round on.
    function moveFunds() external;

    /// @notice Forwards a moving sender's remaining reserve to the registered broker, credited to the
    /// same sender. Anyone may call it, from the sender's `releaseRound` on.
    /// @param sender The sender.
    function forwardReserve(address sender) external;

    /// @notice Sends the registered broker the fees held here for `orchestrator` (zeroing them here)
    /// and returns them by creation round. Only the registered broker (see {IBrokerSuccessor}).
    /// @param orchestrator The orchestrator.
    /// @return roundA A creation round.
    /// @return amountA Wei of tickets created in `roundA`.
    /// @return roundB Another creation round.
    /// @return amountB Wei of tickets created in `roundB`.
    function releaseFees(address orchestrator)
        external
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB);

    /// @notice Sends the registered broker the ETH of the fees the staking contract took from this
    /// broker and has not had paid (`feesOwed`). Anyone may call it; governance calls it in the
    /// replacement batch.
    /// @return amount The wei sent.
    function handOverFeesOwed() external returns (uint256 amount);
}
