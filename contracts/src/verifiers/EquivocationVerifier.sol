// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "../Controlled.sol";
import {IController} from "../interfaces/IController.sol";
import {IEquivocationVerifier} from "../interfaces/IEquivocationVerifier.sol";
import {IFaultVerification} from "../interfaces/IFaultVerification.sol";
import {IFaultVerifier} from "../interfaces/IFaultVerifier.sol";
import {ContractIds} from "../libraries/ContractIds.sol";
import {SegmentReceipt} from "../libraries/SegmentReceipt.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title EquivocationVerifier
/// @notice See {IEquivocationVerifier}.
/// @dev Deployed directly, not behind a proxy: its logic is a pure check and its state (the set of
/// deterministic services, the pairs already used) is small. A fixed version is deployed beside it and
/// approved in the FaultVerifier; challenges keep the verifier they opened with. It is `Controlled`
/// only for its governance check and the FaultVerifier lookup; it has no initializer.
contract EquivocationVerifier is IEquivocationVerifier, Controlled {
    mapping(bytes32 serviceId => bool) private _deterministic;
    mapping(bytes32 pairKey => uint256 challengeId) private _provenBy;

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @inheritdoc IFaultVerification
    function onChallenge(
        uint256 challengeId,
        SegmentReceipt.Receipt calldata receipt,
        bytes32 receiptDigest,
        bytes calldata evidence
    ) external onlyRegistered(ContractIds.FAULT_VERIFIER) returns (Verdict) {
        if (!_deterministic[receipt.serviceId]) {
            revert ServiceNotDeterministic(receipt.serviceId);
        }
        (bytes32 otherDigest, bytes32 profile) = _prove(receipt, receiptDigest, evidence);
        bytes32 pairKey = pairKeyOf(receiptDigest, otherDigest);
        uint256 earlier = _provenBy[pairKey];
        if (earlier != 0) revert EquivocationAlreadyProven(pairKey, earlier);
        _provenBy[pairKey] = challengeId;
        emit EquivocationProven(challengeId, pairKey, otherDigest, profile);
        return Verdict.Fault;
    }

    /// @inheritdoc IFaultVerification
    /// @dev Synchronous: every challenge is decided in `onChallenge`, so no challenge is ever left
    /// pending here; an unknown one has `NoDecision`.
    function verdictOf(uint256) external pure returns (Verdict) {
        return Verdict.NoDecision;
    }

    /// @inheritdoc IEquivocationVerifier
    function setDeterministic(bytes32 serviceId, bool deterministic) external onlyGovernance {
        _deterministic[serviceId] = deterministic;
        emit DeterministicServiceUpdated(serviceId, deterministic);
    }

    /// @inheritdoc IEquivocationVerifier
    function isDeterministic(bytes32 serviceId) external view returns (bool) {
        return _deterministic[serviceId];
    }

    /// @inheritdoc IEquivocationVerifier
    function provenBy(bytes32 pairKey) external view returns (uint256) {
        return _provenBy[pairKey];
    }

    /// @inheritdoc IEquivocationVerifier
    function pairKeyOf(bytes32 a, bytes32 b) public pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @dev Decodes the evidence and checks that it proves an equivocation.
    function _prove(SegmentReceipt.Receipt calldata receipt, bytes32 receiptDigest, bytes calldata evidence)
        private
        view
        returns (bytes32 otherDigest, bytes32 profile)
    {
        (
            SegmentReceipt.Receipt memory other,
            bytes memory otherSignature,
            uint256 index,
            uint256 otherIndex
        ) = abi.decode(evidence, (SegmentReceipt.Receipt, bytes, uint256, uint256));
        otherDigest = _checkOther(receipt, receiptDigest, other, otherSignature);
        profile = _conflict(receipt.renditions, other.renditions, index, otherIndex);
    }

    /// @dev The other receipt is a different receipt, signed by the same orchestrator under the
    /// FaultVerifier's domain, for the same input and service. Returns its digest.
    function _checkOther(
        SegmentReceipt.Receipt calldata receipt,
        bytes32 receiptDigest,
        SegmentReceipt.Receipt memory other,
        bytes memory otherSignature
    ) private view returns (bytes32 otherDigest) {
        otherDigest = SegmentReceipt.toTypedDataHash(
            IFaultVerifier(msg.sender).domainSeparator(), SegmentReceipt.hashMemory(other)
        );
        if (otherDigest == receiptDigest) revert SameReceipt(otherDigest);
        if (other.orchestrator != receipt.orchestrator) {
            revert OrchestratorMismatch(receipt.orchestrator, other.orchestrator);
        }
        address recovered = ECDSA.recover(otherDigest, otherSignature);
        if (recovered != receipt.orchestrator) {
            revert EvidenceSignerMismatch(receipt.orchestrator, recovered);
        }
        if (other.inputHash != receipt.inputHash) revert InputMismatch(receipt.inputHash, other.inputHash);
        if (other.serviceId != receipt.serviceId) revert ServiceMismatch(receipt.serviceId, other.serviceId);
    }

    /// @dev The selected renditions are of one profile with different outputs.
    function _conflict(
        SegmentReceipt.Rendition[] calldata mine,
        SegmentReceipt.Rendition[] memory theirs,
        uint256 index,
        uint256 otherIndex
    ) private pure returns (bytes32 profile) {
        if (index >= mine.length) revert RenditionIndexOutOfRange(index, mine.length);
        if (otherIndex >= theirs.length) revert RenditionIndexOutOfRange(otherIndex, theirs.length);
        profile = mine[index].profile;
        bytes32 output = mine[index].outputHash;
        bytes32 otherProfile = theirs[otherIndex].profile;
        bytes32 otherOutput = theirs[otherIndex].outputHash;
        if (profile != otherProfile) revert ProfileMismatch(profile, otherProfile);
        if (output == otherOutput) revert OutputsAgree(output);
    }
}
