// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IFaultVerification} from "./IFaultVerification.sol";

/// @title IEquivocationVerifier
/// @notice Trustless, synchronous verification for deterministic services: a fault is proven when the
/// orchestrator signed two receipts for the same input hash, service and rendition profile with
/// different output hashes. A deterministic transcode has one correct output, so at least one of the
/// two claims is false. Evidence for `onChallenge` is
/// `abi.encode(SegmentReceipt.Receipt other, bytes otherSignature, uint256 renditionIndex,
/// uint256 otherRenditionIndex)`; the indexes select the conflicting rendition in the challenged and
/// in the other receipt. Invalid evidence reverts (no challenge, no bond taken); valid evidence is
/// `Fault` at once. Each pair of conflicting receipts proves one fault only.
interface IEquivocationVerifier is IFaultVerification {
    /// @notice Governance declared a service deterministic or not.
    /// @param serviceId The service.
    /// @param deterministic Whether it is declared deterministic.
    event DeterministicServiceUpdated(bytes32 indexed serviceId, bool deterministic);

    /// @notice An equivocation was proven.
    /// @param challengeId The challenge.
    /// @param pairKey The pair of conflicting receipts, see `provenBy`.
    /// @param otherReceiptDigest The digest of the other receipt.
    /// @param profile The rendition profile with conflicting outputs.
    event EquivocationProven(
        uint256 indexed challengeId, bytes32 indexed pairKey, bytes32 otherReceiptDigest, bytes32 profile
    );

    /// @notice The service isn't declared deterministic, so different outputs prove nothing.
    /// @param serviceId The service.
    error ServiceNotDeterministic(bytes32 serviceId);

    /// @notice The other receipt isn't signed by the challenged orchestrator under the FaultVerifier's domain.
    /// @param orchestrator The challenged receipt's orchestrator.
    /// @param recovered The address the other signature recovers to.
    error EvidenceSignerMismatch(address orchestrator, address recovered);

    /// @notice The other receipt names another orchestrator.
    /// @param orchestrator The challenged receipt's orchestrator.
    /// @param otherOrchestrator The other receipt's orchestrator.
    error OrchestratorMismatch(address orchestrator, address otherOrchestrator);

    /// @notice The other receipt is the challenged receipt itself.
    /// @param digest The receipt digest.
    error SameReceipt(bytes32 digest);

    /// @notice The two receipts are for different input segments.
    /// @param inputHash The challenged receipt's input hash.
    /// @param otherInputHash The other receipt's input hash.
    error InputMismatch(bytes32 inputHash, bytes32 otherInputHash);

    /// @notice The two receipts are for different services.
    /// @param serviceId The service.
    /// @param otherServiceId The other receipt's service.
    error ServiceMismatch(bytes32 serviceId, bytes32 otherServiceId);

    /// @notice A rendition index is past the end of its receipt's renditions.
    /// @param index The rejected index.
    /// @param length The number of renditions in that receipt.
    error RenditionIndexOutOfRange(uint256 index, uint256 length);

    /// @notice The selected renditions are of different profiles.
    /// @param profile The challenged rendition's profile.
    /// @param otherProfile The other rendition's profile.
    error ProfileMismatch(bytes32 profile, bytes32 otherProfile);

    /// @notice The selected renditions have the same output hash: no equivocation.
    /// @param outputHash The output hash both renditions claim.
    error OutputsAgree(bytes32 outputHash);

    /// @notice This pair of receipts already proved a fault.
    /// @param pairKey The pair of receipts, see `pairKeyOf`.
    /// @param challengeId The FaultVerifier challenge id.
    error EquivocationAlreadyProven(bytes32 pairKey, uint256 challengeId);

    /// @notice Declares `serviceId` deterministic (or not). Only governance.
    /// @param serviceId The service.
    /// @param deterministic Whether its outputs are bit-exact functions of its input.
    function setDeterministic(bytes32 serviceId, bool deterministic) external;

    /// @notice Whether `serviceId` is declared deterministic.
    /// @param serviceId The service.
    /// @return True if deterministic.
    function isDeterministic(bytes32 serviceId) external view returns (bool);

    /// @notice The key of an unordered pair of receipt digests.
    /// @param a One digest.
    /// @param b The other.
    /// @return keccak256 of the two, smaller first.
    function pairKeyOf(bytes32 a, bytes32 b) external pure returns (bytes32);

    /// @notice The challenge that used a pair of conflicting receipts, or 0.
    /// @param pairKey keccak256 of the two receipt digests, smaller first.
    /// @return The challenge id.
    function provenBy(bytes32 pairKey) external view returns (uint256);
}
