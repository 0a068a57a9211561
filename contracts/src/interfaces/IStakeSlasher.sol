// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IStakeSlasher
/// @notice What the FaultVerifier needs from the staking contract (BondingManager). Only the
/// contract registered as FaultVerifier may call the state-changing functions.
interface IStakeSlasher {
    /// @notice Freezes `orchestrator`'s own stake against withdrawal while a challenge against it is
    /// pending (its self-unbonding lock can't be withdrawn). Delegators are never frozen: they can
    /// always leave, taking their stake out of the pool's security. Freezes nest: each freeze needs
    /// its own unfreeze.
    /// @param orchestrator The challenged orchestrator.
    function freezeStake(address orchestrator) external;

    /// @notice Releases one freeze taken with `freezeStake`.
    /// @param orchestrator The orchestrator.
    function unfreezeStake(address orchestrator) external;

    /// @notice Slashes `orchestrator` and its delegators pro rata by `fractionPpm` of their stake
    /// (and the same fraction of the orchestrator's self-unbonding lock), pays `finderFeePpm` of the
    /// orchestrator's *own* penalty to `finder` and burns the rest: the delegators' part is all
    /// burned, so no one profits from slashing its own pool.
    /// @param orchestrator The orchestrator proven at fault.
    /// @param fractionPpm Fraction of the total (own + delegated) stake to slash, parts per million.
    /// @param finder Receives the finder fee.
    /// @param finderFeePpm Fraction of the orchestrator's own penalty paid to `finder`, parts per million.
    /// @return slashed The LPT slashed in total.
    /// @return finderFee The LPT paid to `finder` (the rest, `slashed - finderFee`, is burned).
    function slash(address orchestrator, uint256 fractionPpm, address finder, uint256 finderFeePpm)
        external
        returns (uint256 slashed, uint256 finderFee);

    /// @notice `orchestrator`'s total stake (own + delegated) now.
    /// @param orchestrator The orchestrator.
    /// @return The stake in LPT wei.
    function totalStakeOf(address orchestrator) external view returns (uint256);

    /// @notice What a slash of `orchestrator` could cut now: its pool's bonded stake plus its own
    /// self-unbonding lock (which stays slashable until withdrawn). A challenge may open while it is
    /// not zero.
    /// @param orchestrator The orchestrator.
    /// @return The stake in LPT wei.
    function slashableStakeOf(address orchestrator) external view returns (uint256);
}
