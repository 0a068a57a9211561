// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IActiveSetView
/// @notice The extra view the TicketBroker needs from the staking contract (BondingManager), beside
/// {IFeeIntake}, to size each orchestrator's share of a sender's reserve: stake-weighted, as of the
/// start of a round.
interface IActiveSetView {
    /// @notice `orchestrator`'s active stake in `round` and the total active stake of that round. Both
    /// must be fixed for the whole round (the values as of the round's start), so that claims made
    /// later in the round can't be diluted by bonding during it; `stake` is zero for an orchestrator
    /// that is not active in `round`, and the sum of `stake` over the active set equals
    /// `totalActiveStake`.
    /// @param orchestrator The orchestrator.
    /// @param round The round.
    /// @return stake The orchestrator's active stake (own plus delegated) in `round`.
    /// @return totalActiveStake The sum of the stakes of every orchestrator active in `round`.
    function activeStake(address orchestrator, uint256 round)
        external
        view
        returns (uint256 stake, uint256 totalActiveStake);
}
