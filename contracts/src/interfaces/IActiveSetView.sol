// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IActiveSetView
/// @notice The extra views the TicketBroker needs from the staking contract (BondingManager), beside
/// {IFeeIntake}, to size each orchestrator's share of a sender's reserve: stake-weighted, as of the
/// start of a round. The signatures are those of the BondingManager's own views of the same name.
interface IActiveSetView {
    /// @notice The stake `orchestrator` counts in the active set in `round` (0 if not active then).
    /// Must be fixed for the whole round (the value as of the round's start), and exact at least for
    /// the current round: the broker only asks about the current round.
    /// @param orchestrator The orchestrator.
    /// @param round The round.
    /// @return The orchestrator's active stake (own plus delegated) in `round`.
    function activeStake(address orchestrator, uint256 round) external view returns (uint256);

    /// @notice The total active stake in `round`: the sum of `activeStake` over the active set, fixed
    /// for the whole round and exact at least for the current round.
    /// @param round The round.
    /// @return The total.
    function totalActiveStake(uint256 round) external view returns (uint256);
}
