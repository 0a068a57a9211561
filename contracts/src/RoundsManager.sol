// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {IController} from "./interfaces/IController.sol";
import {IRoundsManager} from "./interfaces/IRoundsManager.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title RoundsManager
/// @notice Protocol time in rounds of `roundLength` blocks. See {IRoundsManager}.
/// @dev Round numbers come from a piecewise-linear schedule: a `Schedule` says "round `startRound`
/// begins at block `startBlock` and rounds last `length` blocks". A length change never rewrites
/// the running schedule; it queues a second one that starts at the next round boundary, so every
/// block maps to exactly one round and round numbers only ever go up by one.
contract RoundsManager is IRoundsManager, Controlled {
    /// @notice One linear piece of the round schedule; packs into a single slot.
    struct Schedule {
        uint64 startRound;
        uint64 startBlock;
        uint64 length;
    }

    /// @custom:storage-location erc7201:streamflow.storage.RoundsManager
    struct RoundsManagerStorage {
        Schedule current;
        Schedule next; // `length == 0`: no change queued
        uint256 lastInitializedRound;
        mapping(uint256 round => bytes32 blockHash) blockHashes;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.RoundsManager")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0x986aefa13ce787225e1866d2e5b01bab1aea020220b21652818d1f8adc606100;

    /// @notice The longest round governance may set: about a year of 12-second blocks.
    uint256 public constant MAX_ROUND_LENGTH = 2_628_000;

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Sets up the schedule: round 1 starts at the initializing block.
    /// @param roundLength_ The round length in blocks.
    function initialize(uint256 roundLength_) external initializer {
        _initializeSchedule(roundLength_);
    }

    /// @dev Round 1 starts at this block. Shared by `initialize` and test harnesses.
    function _initializeSchedule(uint256 roundLength_) internal {
        _checkLength(roundLength_);
        _storage().current = Schedule({
            startRound: 1,
            startBlock: SafeCast.toUint64(block.number),
            length: SafeCast.toUint64(roundLength_)
        });
        emit RoundLengthUpdated(roundLength_, 1, block.number);
    }

    /// @inheritdoc IRoundsManager
    function initializeRound() external virtual whenNotPaused {
        _initializeRound();
    }

    function _initializeRound() internal {
        RoundsManagerStorage storage $ = _storage();
        uint256 round = _currentRound($);
        if ($.lastInitializedRound == round) revert RoundAlreadyInitialized(round);
        bytes32 hash = blockhash(block.number - 1);
        $.lastInitializedRound = round;
        $.blockHashes[round] = hash;
        emit RoundInitialized(round, hash);
    }

    /// @inheritdoc IRoundsManager
    function setRoundLength(uint256 newRoundLength) external onlyGovernance {
        _checkLength(newRoundLength);
        RoundsManagerStorage storage $ = _storage();
        Schedule memory s = _settle($);
        uint256 round = _roundIn(s);
        uint64 nextStart = SafeCast.toUint64(_startBlockIn(s, round) + s.length);
        $.next = Schedule({
            startRound: SafeCast.toUint64(round + 1),
            startBlock: nextStart,
            length: SafeCast.toUint64(newRoundLength)
        });
        emit RoundLengthUpdated(newRoundLength, round + 1, nextStart);
    }

    /// @inheritdoc IRoundsManager
    function currentRound() external view returns (uint256) {
        return _currentRound(_storage());
    }

    /// @inheritdoc IRoundsManager
    function currentRoundAndEnd() external view returns (uint256 round, uint256 endBlock) {
        Schedule memory s = _activeSchedule(_storage());
        round = _roundIn(s);
        endBlock = _startBlockIn(s, round) + s.length;
    }

    /// @inheritdoc IRoundsManager
    function currentRoundStartBlock() external view returns (uint256) {
        Schedule memory s = _activeSchedule(_storage());
        return _startBlockIn(s, _roundIn(s));
    }

    /// @inheritdoc IRoundsManager
    function currentRoundInitialized() external view returns (bool) {
        RoundsManagerStorage storage $ = _storage();
        return $.lastInitializedRound == _currentRound($);
    }

    /// @inheritdoc IRoundsManager
    function lastInitializedRound() external view returns (uint256) {
        return _storage().lastInitializedRound;
    }

    /// @inheritdoc IRoundsManager
    function blockHashForRound(uint256 round) external view returns (bytes32) {
        return _storage().blockHashes[round];
    }

    /// @inheritdoc IRoundsManager
    function roundLength() external view returns (uint256) {
        return _activeSchedule(_storage()).length;
    }

    function _currentRound(RoundsManagerStorage storage $) internal view returns (uint256) {
        return _roundIn(_activeSchedule($));
    }

    /// @dev The schedule in force at this block: the queued one once its start block is reached.
    function _activeSchedule(RoundsManagerStorage storage $) private view returns (Schedule memory s) {
        s = $.next;
        if (s.length == 0 || block.number < s.startBlock) s = $.current;
    }

    /// @dev Folds a queued schedule that has started into `current`, and returns the one in force.
    function _settle(RoundsManagerStorage storage $) private returns (Schedule memory s) {
        s = $.next;
        if (s.length != 0 && block.number >= s.startBlock) {
            $.current = s;
            delete $.next;
        } else {
            s = $.current;
        }
    }

    function _roundIn(Schedule memory s) private view returns (uint256) {
        return s.startRound + (block.number - s.startBlock) / s.length;
    }

    function _startBlockIn(Schedule memory s, uint256 round) private pure returns (uint256) {
        return s.startBlock + (round - s.startRound) * s.length;
    }

    function _checkLength(uint256 length) private pure {
        if (length == 0 || length > MAX_ROUND_LENGTH) revert InvalidRoundLength(length);
    }

    function _storage() internal pure returns (RoundsManagerStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
