// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ReserveLib
/// @notice The reserve allocation rule: an orchestrator may take from a sender's reserve, in a round,
/// its stake-weighted share of the reserve as of the round's first claim, less what it already took
/// that round, and never more than what is left. See `docs/ticket-broker.md` for why stake-weighted.
library ReserveLib {
    /// @notice `min(base × stake / totalActiveStake − claimed, reserve)`, zero when nothing is left.
    /// @param base The sender's reserve at the round's first claim.
    /// @param stake The orchestrator's active stake in the round.
    /// @param totalActiveStake The round's total active stake (as snapshotted at the first claim).
    /// @param claimed What the orchestrator already claimed from this sender in the round.
    /// @param reserve The sender's reserve now.
    /// @return The wei the orchestrator may still claim.
    function available(
        uint256 base,
        uint256 stake,
        uint256 totalActiveStake,
        uint256 claimed,
        uint256 reserve
    ) internal pure returns (uint256) {
        if (totalActiveStake == 0 || stake > totalActiveStake) return 0;
        uint256 allocation = Math.mulDiv(base, stake, totalActiveStake);
        if (allocation <= claimed) return 0;
        return Math.min(allocation - claimed, reserve);
    }
}
