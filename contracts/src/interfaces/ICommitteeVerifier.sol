// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IFaultVerification} from "./IFaultVerification.sol";

/// @title ICommitteeVerifier
/// @notice Asynchronous verification by a governance-managed committee. When a challenge opens, the
/// committee has `verdictPeriod` blocks to re-check the segment off chain; anyone then submits
/// `threshold` (M) distinct member signatures (of N members) over the same EIP-712
/// `CommitteeVerdict(address faultVerifier,uint256 challengeId,bytes32 receiptDigest,bool fault)`,
/// under the domain
/// ("Streamflow CommitteeVerifier", "1", chain id, this contract). Signers are given in strictly
/// ascending address order, which makes duplicates detectable without storage. Without a verdict by
/// the deadline the verdict is `NoDecision`: nobody is slashed. Reviews are keyed by the calling
/// FaultVerifier and its challenge id, so a replacement FaultVerifier (whose ids start again at 1)
/// opens its own reviews while those of the one it replaced can still be decided
/// (`submitVerdictFor`). The functions without a `faultVerifier` argument mean the one registered now.
interface ICommitteeVerifier is IFaultVerification {
    /// @notice A challenge's review by the committee.
    struct Review {
        bytes32 receiptDigest;
        /// @dev Last block at which a verdict may be submitted; 0 for an unknown challenge.
        uint64 deadline;
        Verdict verdict;
    }

    /// @notice The committee was asked to review a challenge.
    /// @param faultVerifier The FaultVerifier that opened the challenge.
    /// @param challengeId The FaultVerifier challenge id.
    /// @param receiptDigest The challenged receipt's EIP-712 digest.
    /// @param deadline The last block at which a verdict may be submitted.
    event ReviewRequested(
        address indexed faultVerifier, uint256 indexed challengeId, bytes32 receiptDigest, uint256 deadline
    );

    /// @notice The committee's verdict was submitted.
    /// @param challengeId The FaultVerifier challenge id.
    /// @param fault Whether the committee found a fault.
    /// @param signatures The number of member signatures submitted.
    event VerdictSubmitted(uint256 indexed challengeId, bool fault, uint256 signatures);

    /// @notice A member was added.
    /// @param member The member.
    event MemberAdded(address indexed member);

    /// @notice A member was removed.
    /// @param member The member.
    event MemberRemoved(address indexed member);

    /// @notice The signature threshold changed.
    /// @param threshold The threshold M.
    event ThresholdUpdated(uint256 threshold);

    /// @notice The verdict period changed.
    /// @param verdictPeriodBlocks The verdict period, in blocks.
    event VerdictPeriodUpdated(uint256 verdictPeriodBlocks);

    /// @notice A verdict carried a signature of an address that isn't a member.
    /// @param signer The recovered signer.
    error NotMember(address signer);

    /// @notice The same member signed twice.
    /// @param signer The recovered signer.
    error DuplicateSigner(address signer);

    /// @notice Signers aren't in strictly ascending address order.
    /// @param previous The signer before it.
    /// @param signer The recovered signer.
    error SignersNotAscending(address previous, address signer);

    /// @notice Fewer signatures than the threshold.
    /// @param count The number of signatures given.
    /// @param threshold The threshold M.
    error NotEnoughSignatures(uint256 count, uint256 threshold);

    /// @notice More signatures than `MAX_MEMBERS`.
    /// @param count The number of signatures given.
    /// @param max The maximum.
    error TooManySignatures(uint256 count, uint256 max);

    /// @notice The verdict came after the deadline.
    /// @param challengeId The FaultVerifier challenge id.
    /// @param deadline The last block at which a verdict may be submitted.
    /// @param blockNumber The current block.
    error VerdictDeadlinePassed(uint256 challengeId, uint256 deadline, uint256 blockNumber);

    /// @notice No review exists for this challenge.
    /// @param challengeId The FaultVerifier challenge id.
    error UnknownReview(uint256 challengeId);

    /// @notice The review already has a verdict.
    /// @param challengeId The FaultVerifier challenge id.
    error VerdictAlreadySubmitted(uint256 challengeId);

    /// @notice The review for this challenge already exists.
    /// @param challengeId The FaultVerifier challenge id.
    error ReviewExists(uint256 challengeId);

    /// @notice The address is already a member.
    /// @param member The member.
    error AlreadyMember(address member);

    /// @notice The address to remove isn't a member.
    /// @param member The member.
    error NotAMember(address member);

    /// @notice The committee would exceed `MAX_MEMBERS`.
    /// @param max The maximum.
    error TooManyMembers(uint256 max);

    /// @notice The threshold must be between 1 and the member count.
    /// @param threshold The threshold M.
    /// @param memberCount The number of members N.
    error InvalidThreshold(uint256 threshold, uint256 memberCount);

    /// @notice The verdict period must be non-zero.
    /// @param verdictPeriodBlocks The verdict period, in blocks.
    error InvalidVerdictPeriod(uint256 verdictPeriodBlocks);

    /// @notice Submits the committee's verdict for a pending review. Anyone may submit it.
    /// @param challengeId The challenge.
    /// @param fault Whether the committee found a fault.
    /// @param signatures At least `threshold` 65-byte low-s member signatures of the verdict digest,
    /// signers in strictly ascending address order.
    function submitVerdict(uint256 challengeId, bool fault, bytes[] calldata signatures) external;

    /// @notice The same for a challenge of `faultVerifier` (e.g. one replaced since it opened it).
    /// @param faultVerifier The FaultVerifier that opened the challenge.
    /// @param challengeId The challenge.
    /// @param fault Whether the committee found a fault.
    /// @param signatures As for `submitVerdict`.
    function submitVerdictFor(
        address faultVerifier,
        uint256 challengeId,
        bool fault,
        bytes[] calldata signatures
    ) external;

    /// @notice Adds a member. Only governance.
    /// @param member The new member.
    function addMember(address member) external;

    /// @notice Removes a member. Only governance. The threshold must stay reachable.
    /// @param member The member.
    function removeMember(address member) external;

    /// @notice Sets the signature threshold M. Only governance.
    /// @param newThreshold Between 1 and the member count.
    function setThreshold(uint256 newThreshold) external;

    /// @notice Sets the blocks the committee has for each review. Only governance; applies to new reviews.
    /// @param verdictPeriodBlocks Non-zero.
    function setVerdictPeriod(uint256 verdictPeriodBlocks) external;

    /// @notice Whether `account` is a member.
    /// @param account The account.
    /// @return True if a member.
    function isMember(address account) external view returns (bool);

    /// @notice The number of members N.
    /// @return N.
    function memberCount() external view returns (uint256);

    /// @notice The signature threshold M.
    /// @return M.
    function threshold() external view returns (uint256);

    /// @notice The blocks the committee has for each review.
    /// @return The period in blocks.
    function verdictPeriod() external view returns (uint256);

    /// @notice The review of a challenge.
    /// @param challengeId The challenge.
    /// @return The review.
    function getReview(uint256 challengeId) external view returns (Review memory);

    /// @notice The review of a challenge of `faultVerifier`.
    /// @param faultVerifier The FaultVerifier that opened the challenge.
    /// @param challengeId The challenge.
    /// @return The review.
    function getReviewFor(address faultVerifier, uint256 challengeId) external view returns (Review memory);

    /// @notice The EIP-712 domain separator verdicts are signed under.
    /// @return The separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The digest members sign for a verdict.
    /// @param challengeId The challenge.
    /// @param fault The verdict.
    /// @return The EIP-712 digest.
    function verdictDigest(uint256 challengeId, bool fault) external view returns (bytes32);

    /// @notice The digest members sign for a verdict on a challenge of `faultVerifier`.
    /// @param faultVerifier The FaultVerifier that opened the challenge.
    /// @param challengeId The challenge.
    /// @param fault The verdict.
    /// @return The EIP-712 digest.
    function verdictDigestFor(address faultVerifier, uint256 challengeId, bool fault)
        external
        view
        returns (bytes32);
}
