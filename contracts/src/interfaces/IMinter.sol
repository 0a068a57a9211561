// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMinter
/// @notice Inflation. Each round may mint `inflation` (parts per billion of the LPT supply); the rate
/// moves one `inflationChange` step per round toward `targetBondingRate` (active stake ÷ supply):
/// up while too little is bonded, down while too much is. Tokens are minted only when an active
/// orchestrator calls `reward()` (through the BondingManager), in proportion to its stake, so
/// rewards nobody claims are never minted.
interface IMinter {
    /// @notice The mintable amount of a round was fixed.
    /// @param round The round.
    /// @param inflation The rate used, parts per billion.
    /// @param mintable LPT the round may mint.
    event RoundMintSet(uint256 indexed round, uint256 inflation, uint256 mintable);
    /// @notice Rewards were minted to the BondingManager.
    /// @param round The round.
    /// @param amount LPT minted.
    event RewardMinted(uint256 indexed round, uint256 amount);
    /// @notice Governance set the per-round inflation step.
    /// @param inflationChange Parts per billion per round.
    event InflationChangeSet(uint256 inflationChange);
    /// @notice Governance set the target bonding rate.
    /// @param targetBondingRate Parts per billion.
    event TargetBondingRateSet(uint256 targetBondingRate);

    /// @notice A rate above one billion parts per billion was given.
    /// @param value The rejected value.
    error InvalidRate(uint256 value);

    /// @notice Mints `stake / totalActiveStake` of the current round's mintable amount to the
    /// caller. The first call of a round fixes that amount and moves the inflation rate. Only the
    /// registered BondingManager.
    /// @param stake The rewarded orchestrator's active stake in the round.
    /// @param totalActiveStake The total active stake in the round.
    /// @return minted LPT minted.
    function createReward(uint256 stake, uint256 totalActiveStake) external returns (uint256 minted);

    /// @notice Sets the per-round inflation step, parts per billion. Only governance.
    /// @param inflationChange_ Parts per billion per round.
    function setInflationChange(uint256 inflationChange_) external;

    /// @notice Sets the target bonding rate, parts per billion. Only governance.
    /// @param targetBondingRate_ Parts per billion.
    function setTargetBondingRate(uint256 targetBondingRate_) external;

    /// @notice The inflation rate, parts per billion per round.
    /// @return Parts per billion per round.
    function inflation() external view returns (uint256);

    /// @notice The per-round inflation step, parts per billion.
    /// @return Parts per billion.
    function inflationChange() external view returns (uint256);

    /// @notice The target bonding rate, parts per billion.
    /// @return Parts per billion.
    function targetBondingRate() external view returns (uint256);

    /// @notice The last round whose mintable amount was fixed.
    /// @return The round (0 before the first reward).
    function lastRound() external view returns (uint256);

    /// @notice LPT that round `lastRound` may mint, and how much it minted.
    /// @return mintable LPT the round may mint.
    /// @return minted LPT it minted so far.
    function roundMint() external view returns (uint256 mintable, uint256 minted);
}
