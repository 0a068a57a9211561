// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IUnbondingPeriod
/// @notice The staking contract's (BondingManager's) periods other contracts check theirs against:
/// the FaultVerifier keeps its challenge window below the unbonding period (a cheater could
/// otherwise unbond and withdraw before a challenge freezes it), the TicketBroker its ticket
/// validity period at most the maturity period (delegator fee-theft guard).
interface IUnbondingPeriod {
    /// @notice The number of rounds between unbonding and being able to withdraw.
    /// @return The unbonding period in rounds.
    function unbondingPeriod() external view returns (uint256);

    /// @notice The number of rounds new stake waits at least before it earns, and leaving stake keeps
    /// its fee share at least; the TicketBroker keeps its ticket validity period at most this long.
    /// For a full new period after a lengthening it is still the shorter period before it.
    /// @return The maturity period in rounds.
    function maturityPeriod() external view returns (uint256);
}
