// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IUnbondingPeriod
/// @notice One more view the FaultVerifier needs from the staking contract (BondingManager), beside
/// {IStakeSlasher}: the unbonding period, so that governance can't set a challenge window at least
/// as long as it (a cheater could otherwise unbond and withdraw before a challenge freezes it).
interface IUnbondingPeriod {
    /// @notice The number of rounds between unbonding and being able to withdraw.
    /// @return The unbonding period in rounds.
    function unbondingPeriod() external view returns (uint256);
}
