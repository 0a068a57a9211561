// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "../Controlled.sol";
import {ICommitteeVerifier} from "../interfaces/ICommitteeVerifier.sol";
import {IController} from "../interfaces/IController.sol";
import {IFaultVerification} from "../interfaces/IFaultVerification.sol";
import {ContractIds} from "../libraries/ContractIds.sol";
import {SegmentReceipt} from "../libraries/SegmentReceipt.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title CommitteeVerifier
/// @notice See {ICommitteeVerifier}. Upgradeable behind a `ControlledProxy`: the member set and the
/// open reviews survive a logic upgrade.
contract CommitteeVerifier is ICommitteeVerifier, Controlled {
    /// @custom:storage-location erc7201:streamflow.storage.CommitteeVerifier
    struct CommitteeVerifierStorage {
        mapping(address account => bool) members;
        uint32 memberCount;
        uint32 threshold;
        uint64 verdictPeriodBlocks;
        // unused: reviews are keyed by the calling FaultVerifier too (`reviewsOf`); kept for the layout
        mapping(uint256 challengeId => Review) reviews;
        mapping(address faultVerifier => mapping(uint256 challengeId => Review)) reviewsOf;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.CommitteeVerifier")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0x6e3778b965614d8829088c9be60e234e873a6c408d265b1127afcf307d27f300;

    /// @notice The largest committee: bounds the signature loop of `submitVerdict`.
    uint256 public constant MAX_MEMBERS = 32;

    /// @notice The EIP-712 type members sign.
    bytes32 public constant VERDICT_TYPEHASH = keccak256(
        "CommitteeVerdict(address faultVerifier,uint256 challengeId,bytes32 receiptDigest,bool fault)"
    );

    bytes32 private constant NAME_HASH = keccak256("Streamflow CommitteeVerifier");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Sets the initial committee.
    /// @param members_ The members (at most `MAX_MEMBERS`, distinct).
    /// @param threshold_ The signature threshold M, between 1 and the member count.
    /// @param verdictPeriodBlocks_ Blocks the committee has per review.
    function initialize(address[] calldata members_, uint256 threshold_, uint256 verdictPeriodBlocks_)
        external
        initializer
    {
        if (members_.length > MAX_MEMBERS) revert TooManyMembers(MAX_MEMBERS);
        for (uint256 i; i < members_.length; ++i) {
            _addMember(members_[i]);
        }
        _setThreshold(threshold_);
        _setVerdictPeriod(verdictPeriodBlocks_);
    }

    /// @inheritdoc IFaultVerification
    function onChallenge(
        uint256 challengeId,
        SegmentReceipt.Receipt calldata,
        bytes32 receiptDigest,
        bytes calldata
    ) external onlyRegistered(ContractIds.FAULT_VERIFIER) returns (Verdict) {
        CommitteeVerifierStorage storage $ = _storage();
        Review storage r = $.reviewsOf[msg.sender][challengeId];
        if (r.deadline != 0) revert ReviewExists(challengeId);
        uint64 deadline = SafeCast.toUint64(block.number + $.verdictPeriodBlocks);
        r.receiptDigest = receiptDigest;
        r.deadline = deadline;
        emit ReviewRequested(msg.sender, challengeId, receiptDigest, deadline);
        return Verdict.Pending;
    }

    /// @inheritdoc IFaultVerification
    function verdictOf(uint256 challengeId) external view returns (Verdict) {
        Review storage r = _storage().reviewsOf[msg.sender][challengeId];
        Verdict v = r.verdict;
        if (v != Verdict.Pending) return v;
        uint256 deadline = r.deadline;
        // An unknown challenge has deadline 0: it will never get a verdict.
        return block.number > deadline ? Verdict.NoDecision : Verdict.Pending;
    }

    /// @inheritdoc ICommitteeVerifier
    function submitVerdict(uint256 challengeId, bool fault, bytes[] calldata signatures) external {
        _submitVerdict(_faultVerifier(), challengeId, fault, signatures);
    }

    /// @inheritdoc ICommitteeVerifier
    function submitVerdictFor(
        address faultVerifier,
        uint256 challengeId,
        bool fault,
        bytes[] calldata signatures
    ) external {
        _submitVerdict(faultVerifier, challengeId, fault, signatures);
    }

    function _submitVerdict(
        address faultVerifier,
        uint256 challengeId,
        bool fault,
        bytes[] calldata signatures
    ) private {
        CommitteeVerifierStorage storage $ = _storage();
        Review storage r = $.reviewsOf[faultVerifier][challengeId];
        uint256 deadline = r.deadline;
        if (deadline == 0) revert UnknownReview(challengeId);
        if (r.verdict != Verdict.Pending) revert VerdictAlreadySubmitted(challengeId);
        if (block.number > deadline) revert VerdictDeadlinePassed(challengeId, deadline, block.number);
        uint256 count = signatures.length;
        if (count > MAX_MEMBERS) revert TooManySignatures(count, MAX_MEMBERS);
        if (count < $.threshold) revert NotEnoughSignatures(count, $.threshold);

        bytes32 digest = _verdictDigest(faultVerifier, challengeId, r.receiptDigest, fault);
        address previous = address(0); // signers must ascend strictly from here
        for (uint256 i; i < count; ++i) {
            address signer = ECDSA.recoverCalldata(digest, signatures[i]);
            if (!$.members[signer]) revert NotMember(signer);
            if (signer <= previous) {
                if (signer == previous) revert DuplicateSigner(signer);
                revert SignersNotAscending(previous, signer);
            }
            previous = signer;
        }
        r.verdict = fault ? Verdict.Fault : Verdict.NoFault;
        emit VerdictSubmitted(challengeId, fault, count);
    }

    /// @inheritdoc ICommitteeVerifier
    function addMember(address member) external onlyGovernance {
        if (_storage().memberCount >= MAX_MEMBERS) revert TooManyMembers(MAX_MEMBERS);
        _addMember(member);
    }

    /// @inheritdoc ICommitteeVerifier
    function removeMember(address member) external onlyGovernance {
        CommitteeVerifierStorage storage $ = _storage();
        if (!$.members[member]) revert NotAMember(member);
        uint32 remaining = $.memberCount - 1;
        if ($.threshold > remaining) revert InvalidThreshold($.threshold, remaining);
        $.members[member] = false;
        $.memberCount = remaining;
        emit MemberRemoved(member);
    }

    /// @inheritdoc ICommitteeVerifier
    function setThreshold(uint256 threshold_) external onlyGovernance {
        _setThreshold(threshold_);
    }

    /// @inheritdoc ICommitteeVerifier
    function setVerdictPeriod(uint256 verdictPeriodBlocks_) external onlyGovernance {
        _setVerdictPeriod(verdictPeriodBlocks_);
    }

    /// @inheritdoc ICommitteeVerifier
    function isMember(address account) external view returns (bool) {
        return _storage().members[account];
    }

    /// @inheritdoc ICommitteeVerifier
    function memberCount() external view returns (uint256) {
        return _storage().memberCount;
    }

    /// @inheritdoc ICommitteeVerifier
    function threshold() external view returns (uint256) {
        return _storage().threshold;
    }

    /// @inheritdoc ICommitteeVerifier
    function verdictPeriod() external view returns (uint256) {
        return _storage().verdictPeriodBlocks;
    }

    /// @inheritdoc ICommitteeVerifier
    function getReview(uint256 challengeId) external view returns (Review memory) {
        return _storage().reviewsOf[_faultVerifier()][challengeId];
    }

    /// @inheritdoc ICommitteeVerifier
    function getReviewFor(address faultVerifier, uint256 challengeId) external view returns (Review memory) {
        return _storage().reviewsOf[faultVerifier][challengeId];
    }

    /// @inheritdoc ICommitteeVerifier
    function verdictDigest(uint256 challengeId, bool fault) external view returns (bytes32) {
        return verdictDigestFor(_faultVerifier(), challengeId, fault);
    }

    /// @inheritdoc ICommitteeVerifier
    function verdictDigestFor(address faultVerifier, uint256 challengeId, bool fault)
        public
        view
        returns (bytes32)
    {
        bytes32 receiptDigest = _storage().reviewsOf[faultVerifier][challengeId].receiptDigest;
        return _verdictDigest(faultVerifier, challengeId, receiptDigest, fault);
    }

    /// @inheritdoc ICommitteeVerifier
    function domainSeparator() public view returns (bytes32) {
        return SegmentReceipt.domainSeparator(NAME_HASH, VERSION_HASH, address(this));
    }

    function _verdictDigest(address faultVerifier, uint256 challengeId, bytes32 receiptDigest, bool fault)
        private
        view
        returns (bytes32)
    {
        return SegmentReceipt.toTypedDataHash(
            domainSeparator(),
            keccak256(abi.encode(VERDICT_TYPEHASH, faultVerifier, challengeId, receiptDigest, fault))
        );
    }

    /// @dev The FaultVerifier registered now.
    function _faultVerifier() private view returns (address) {
        return controller.getContract(ContractIds.FAULT_VERIFIER);
    }

    function _addMember(address member) private {
        CommitteeVerifierStorage storage $ = _storage();
        if (member == address(0) || $.members[member]) revert AlreadyMember(member);
        $.members[member] = true;
        ++$.memberCount;
        emit MemberAdded(member);
    }

    function _setThreshold(uint256 threshold_) private {
        CommitteeVerifierStorage storage $ = _storage();
        if (threshold_ == 0 || threshold_ > $.memberCount) {
            revert InvalidThreshold(threshold_, $.memberCount);
        }
        // casting to 'uint32' is safe because threshold_ <= memberCount <= MAX_MEMBERS
        // forge-lint: disable-next-line(unsafe-typecast)
        $.threshold = uint32(threshold_);
        emit ThresholdUpdated(threshold_);
    }

    function _setVerdictPeriod(uint256 verdictPeriodBlocks_) private {
        if (verdictPeriodBlocks_ == 0 || verdictPeriodBlocks_ > type(uint32).max) {
            revert InvalidVerdictPeriod(verdictPeriodBlocks_);
        }
        // casting to 'uint64' is safe because verdictPeriodBlocks_ <= type(uint32).max was checked
        // forge-lint: disable-next-line(unsafe-typecast)
        _storage().verdictPeriodBlocks = uint64(verdictPeriodBlocks_);
        emit VerdictPeriodUpdated(verdictPeriodBlocks_);
    }

    function _storage() internal pure returns (CommitteeVerifierStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
