// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFeeIntake
/// @notice What the TicketBroker needs from the staking contract (BondingManager): who may redeem,
/// and where winning-ticket fees are credited. The ETH itself stays in the TicketBroker (see
/// {IFeeVault}); this is accounting only, so a credit costs no value transfer.
interface IFeeIntake {
    /// @notice Whether `orchestrator` is in the active set in `round`.
    /// @param orchestrator The orchestrator.
    /// @param round The round.
    /// @return True if active in that round.
    function isActiveOrchestrator(address orchestrator, uint256 round) external view returns (bool);

    /// @notice Credits `amount` of fees (wei) to `orchestrator`'s earnings as of `creationRound`, the
    /// round the paying tickets were created in, so that they are split with the delegators of
    /// that round (the guard against delegator fee theft). Only the registered TicketBroker.
    /// @param orchestrator The ticket recipient.
    /// @param amount The fees, in wei, already held by the TicketBroker.
    /// @param creationRound The tickets' creation round; never after the current round.
    function creditFees(address orchestrator, uint256 amount, uint256 creationRound) external;

    /// @notice Tells the staking contract that the TicketBroker now holds fees of `orchestrator`'s
    /// tickets created in `creationRound` that it has not collected: the staking contract collects
    /// them ({IFeeVault-takeFees}) and credits them as of their creation round at the next touch of
    /// the pool, before any stake moves, so the fee-theft guarantees of `creditFees` hold. Nothing is
    /// noted for an orchestrator that was not active in `creationRound`. Only the registered
    /// TicketBroker.
    /// @param orchestrator The ticket recipient.
    /// @param creationRound The tickets' creation round; never after the current round.
    /// @param collectFirst Collect (and credit) what the broker holds for `orchestrator` now, first:
    /// the broker asks when it has no room left for another creation round.
    /// @return active Whether `orchestrator` was in the active set in `creationRound`.
    function noteFees(address orchestrator, uint256 creationRound, bool collectFirst)
        external
        returns (bool active);
}
