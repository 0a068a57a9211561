// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRoundsManager
/// @notice Protocol time. A round is `roundLength` blocks; rounds are numbered from 1 at deployment.
/// Each round is initialized once, by anyone, which records a block hash that tickets created in the
/// round bind to. Governance may change the round length; the change applies from the next round
/// boundary so that round numbers never jump or repeat.
interface IRoundsManager {
    /// @notice A round was initialized.
    /// @param round The round.
    /// @param blockHash The hash of the block before the initializing transaction's block.
    event RoundInitialized(uint256 indexed round, bytes32 blockHash);

    /// @notice A round-length change was scheduled.
    /// @param roundLength The new length in blocks.
    /// @param effectiveRound The first round that has the new length.
    /// @param effectiveBlock The first block of that round.
    event RoundLengthUpdated(uint256 roundLength, uint256 effectiveRound, uint256 effectiveBlock);

    /// @notice `initializeRound` was called for a round that is already initialized.
    /// @param round The current round.
    error RoundAlreadyInitialized(uint256 round);

    /// @notice A round length of zero, or one above `MAX_ROUND_LENGTH`, was given.
    /// @param roundLength The rejected length.
    error InvalidRoundLength(uint256 roundLength);

    /// @notice Initializes the current round and records its block hash. Anyone may call it, once per
    /// round.
    function initializeRound() external;

    /// @notice Schedules a new round length, effective from the next round. Only governance.
    /// @param newRoundLength The new length in blocks, greater than zero.
    function setRoundLength(uint256 newRoundLength) external;

    /// @notice The current round.
    /// @return The round number.
    function currentRound() external view returns (uint256);

    /// @notice The current round and the first block after it, in one call. The end never moves once
    /// the round started (a length change applies from the next round), so callers may cache both.
    /// @return round The round number.
    /// @return endBlock The first block of the next round.
    function currentRoundAndEnd() external view returns (uint256 round, uint256 endBlock);

    /// @notice The first block of the current round.
    /// @return The block number.
    function currentRoundStartBlock() external view returns (uint256);

    /// @notice Whether the current round has been initialized.
    /// @return True once `initializeRound` ran in the current round.
    function currentRoundInitialized() external view returns (bool);

    /// @notice The last round that was initialized (0 if none).
    /// @return The round number.
    function lastInitializedRound() external view returns (uint256);

    /// @notice The block hash recorded when `round` was initialized, or zero if it never was.
    /// @param round The round.
    /// @return The recorded block hash.
    function blockHashForRound(uint256 round) external view returns (bytes32);

    /// @notice The length of the current round in blocks.
    /// @return The length.
    function roundLength() external view returns (uint256);
}
