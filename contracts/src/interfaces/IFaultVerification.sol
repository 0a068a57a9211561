// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SegmentReceipt} from "../libraries/SegmentReceipt.sol";

/// @title IFaultVerification
/// @notice A verification function: decides whether a challenged segment receipt proves a fault.
/// The FaultVerifier calls `onChallenge` once when a challenge opens, after it has checked the
/// receipt's signature, window, bond and uniqueness. A synchronous verifier (equivocation) decides
/// right there; an asynchronous one (committee, or a later interactive or hardware-attested one)
/// answers `Pending` and later reports its decision through `verdictOf`, which `resolve` reads.
/// New verifiers implement this interface and are approved by governance; the FaultVerifier needs
/// no change.
interface IFaultVerification {
    /// @notice A verifier's answer for a challenge.
    /// @dev `Pending`: not decided yet. `Fault`: fault proven, the orchestrator is slashed.
    /// `NoFault`: the challenge failed, the bond goes to the orchestrator. `NoDecision`: no decision
    /// will come (e.g. the committee's deadline passed): the bond is refunded, nobody is penalised.
    enum Verdict {
        Pending,
        Fault,
        NoFault,
        NoDecision
    }

    /// @notice Starts verification of challenge `challengeId`. Only the FaultVerifier calls it, once
    /// per challenge. May revert to refuse evidence that can't prove anything (the challenge then
    /// isn't opened and no bond is taken).
    /// @param challengeId The FaultVerifier's challenge id.
    /// @param receipt The challenged receipt; its signature by `receipt.orchestrator` is verified.
    /// @param receiptDigest The receipt's EIP-712 digest under the FaultVerifier's domain.
    /// @param evidence Verifier-specific evidence supplied by the challenger.
    /// @return The verdict now; `Pending` if the decision comes later.
    function onChallenge(
        uint256 challengeId,
        SegmentReceipt.Receipt calldata receipt,
        bytes32 receiptDigest,
        bytes calldata evidence
    ) external returns (Verdict);

    /// @notice The verdict for a challenge that `onChallenge` left `Pending`.
    /// @param challengeId The FaultVerifier's challenge id.
    /// @return The verdict now.
    function verdictOf(uint256 challengeId) external view returns (Verdict);
}
