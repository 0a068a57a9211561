// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {IController} from "./interfaces/IController.sol";
import {IFaultVerification} from "./interfaces/IFaultVerification.sol";
import {IFaultVerifier} from "./interfaces/IFaultVerifier.sol";
import {IRoundsManager} from "./interfaces/IRoundsManager.sol";
import {IServiceVerifiers} from "./interfaces/IServiceVerifiers.sol";
import {IStakeSlasher} from "./interfaces/IStakeSlasher.sol";
import {IUnbondingPeriod} from "./interfaces/IUnbondingPeriod.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {SegmentReceipt} from "./libraries/SegmentReceipt.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title FaultVerifier
/// @notice Challenges against signed segment receipts, decided by pluggable verification functions,
/// settled by slashing through the staking contract. See {IFaultVerifier}.
/// @dev Bonds are ETH: challengers are broadcasters, who hold ETH for their ticket deposits, and a bond
/// in the token being slashed would mix the anti-griefing escrow with the stake it guards. ETH owed is
/// credited and pulled (`withdraw`), so no settlement depends on a recipient accepting ETH.
contract FaultVerifier is IFaultVerifier, Controlled, ReentrancyGuardTransient {
    /// @custom:storage-location erc7201:streamflow.storage.FaultVerifier
    struct FaultVerifierStorage {
        Params params;
        uint256 challengeCount;
        uint256 pendingBonds;
        mapping(uint256 challengeId => Challenge) challenges;
        mapping(bytes32 segmentKey => uint256 challengeId) challengeOfSegment;
        mapping(address account => uint256 amount) credits;
        mapping(address verifier => bool approved) approvedVerifiers;
        // At most one slash per burst: the round after each orchestrator's last slash (0: never).
        mapping(address orchestrator => uint256 round) slashCoveredBefore;
        // ETH of bonds burned by unsuccessful challenges: kept here for ever, never paid out.
        uint256 burnedBonds;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.FaultVerifier")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0xc6b5ba3c23eb230fa344d3f704bf66ac06183150b278d721fea681066111c500;

    /// @notice Parts per million: the unit of `slashFractionPpm` and `finderFeePpm`.
    uint256 public constant PPM = 1_000_000;

    /// @notice The smallest finder fee governance may set (10%): the challenger's share must be
    /// substantial. The fee is a share of the orchestrator's *own* penalty (the delegators' part is
    /// burned) and below 100%, so reporting one's own fault, from any account, always loses stake.
    uint256 public constant MIN_FINDER_FEE_PPM = 100_000;

    /// @notice The part of the bond a challenge that ends without a decision burns (10%): no
    /// challenge is free, so nobody can keep an orchestrator's own stake frozen at no cost.
    uint256 public constant NO_DECISION_BURN_PPM = 100_000;

    bytes32 private constant NAME_HASH = keccak256("Streamflow FaultVerifier");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Sets the governance parameters. The staking contract must already be registered (the
    /// challenge window is checked against its unbonding period).
    /// @param params_ The initial parameters.
    function initialize(Params calldata params_) external initializer {
        _setParams(params_);
    }

    // ------------------------------------------------------------------ challenges

    /// @inheritdoc IFaultVerifier
    function openChallenge(
        SegmentReceipt.Receipt calldata receipt,
        bytes calldata signature,
        bytes calldata evidence
    ) external payable whenNotPaused nonReentrant returns (uint256 challengeId) {
        FaultVerifierStorage storage $ = _storage();
        address orchestrator = receipt.orchestrator;
        IStakeSlasher staking = _staking();
        address verifier;
        bytes32 digest;
        {
            bytes32 key;
            uint256 created;
            (digest, key, created) = _checkReceipt($, receipt, signature);
            if (staking.slashableStakeOf(orchestrator) == 0) revert OrchestratorNotStaked(orchestrator);
            verifier = _verifierFor($, orchestrator, receipt.serviceId);
            challengeId = _record($, orchestrator, verifier, key, digest, created);
        }
        IFaultVerification.Verdict verdict =
            IFaultVerification(verifier).onChallenge(challengeId, receipt, digest, evidence);
        if (verdict == IFaultVerification.Verdict.Pending) {
            staking.freezeStake(orchestrator);
        } else {
            _settle($, staking, challengeId, verdict, false);
        }
    }

    /// @inheritdoc IFaultVerifier
    function resolve(uint256 challengeId)
        external
        whenNotPaused
        nonReentrant
        returns (IFaultVerification.Verdict verdict)
    {
        FaultVerifierStorage storage $ = _storage();
        Challenge storage c = $.challenges[challengeId];
        Status status = c.status;
        if (status == Status.None) revert UnknownChallenge(challengeId);
        if (status != Status.Pending) revert ChallengeNotPending(challengeId, status);
        verdict = IFaultVerification(c.verifier).verdictOf(challengeId);
        if (verdict == IFaultVerification.Verdict.Pending) revert VerdictPending(challengeId);
        _settle($, _staking(), challengeId, verdict, true);
    }

    /// @inheritdoc IFaultVerifier
    /// @dev Not paused: it only pays out what settled challenges already credited.
    function withdraw() external nonReentrant {
        FaultVerifierStorage storage $ = _storage();
        uint256 amount = $.credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        $.credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IFaultVerifier
    function setParams(Params calldata params_) external onlyGovernance {
        _setParams(params_);
    }

    /// @inheritdoc IFaultVerifier
    function setVerifierApproval(address verifier, bool approved) external onlyGovernance {
        _storage().approvedVerifiers[verifier] = approved;
        emit VerifierApprovalUpdated(verifier, approved);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IFaultVerifier
    function params() external view returns (Params memory) {
        return _storage().params;
    }

    /// @inheritdoc IFaultVerifier
    function isVerifierApproved(address verifier) external view returns (bool) {
        return _storage().approvedVerifiers[verifier];
    }

    /// @inheritdoc IFaultVerifier
    function getChallenge(uint256 challengeId) external view returns (Challenge memory) {
        return _storage().challenges[challengeId];
    }

    /// @inheritdoc IFaultVerifier
    function challengeOfSegment(bytes32 segmentKey) external view returns (uint256) {
        return _storage().challengeOfSegment[segmentKey];
    }

    /// @inheritdoc IFaultVerifier
    function creditOf(address account) external view returns (uint256) {
        return _storage().credits[account];
    }

    /// @inheritdoc IFaultVerifier
    function pendingBonds() external view returns (uint256) {
        return _storage().pendingBonds;
    }

    /// @inheritdoc IFaultVerifier
    function slashCoveredBefore(address orchestrator) external view returns (uint256) {
        return _storage().slashCoveredBefore[orchestrator];
    }

    /// @inheritdoc IFaultVerifier
    function burnedBonds() external view returns (uint256) {
        return _storage().burnedBonds;
    }

    /// @inheritdoc IFaultVerifier
    function challengeCount() external view returns (uint256) {
        return _storage().challengeCount;
    }

    /// @inheritdoc IFaultVerifier
    function domainSeparator() public view returns (bytes32) {
        return SegmentReceipt.domainSeparator(NAME_HASH, VERSION_HASH, address(this));
    }

    /// @inheritdoc IFaultVerifier
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        // The strings hashed into NAME_HASH and VERSION_HASH.
        return
            (hex"0f", "Streamflow FaultVerifier", "1", block.chainid, address(this), bytes32(0), extensions);
    }

    /// @inheritdoc IFaultVerifier
    function receiptDigest(SegmentReceipt.Receipt calldata receipt) external view returns (bytes32) {
        return _receiptDigest(receipt);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Applies a final verdict. Effects first; the staking calls come last.
    function _settle(
        FaultVerifierStorage storage $,
        IStakeSlasher staking,
        uint256 challengeId,
        IFaultVerification.Verdict verdict,
        bool frozen
    ) private {
        Challenge storage c = $.challenges[challengeId];
        address challenger = c.challenger;
        address orchestrator = c.orchestrator;
        uint256 bond = c.bond;
        $.pendingBonds -= bond;
        emit VerdictReached(challengeId, verdict);

        if (verdict == IFaultVerification.Verdict.Fault) {
            $.credits[challenger] += bond;
            emit BondRefunded(challengeId, challenger, bond);
            if (frozen) staking.unfreezeStake(orchestrator);
            // At most one slash per burst: a fault on a receipt created at or before the round of the
            // last slash is covered by it (delegators get a round to react between two slashes).
            uint256 coveredBefore = $.slashCoveredBefore[orchestrator];
            if (c.creationRound < coveredBefore) {
                c.status = Status.Covered;
                emit FaultCovered(challengeId, orchestrator, coveredBefore);
                return;
            }
            c.status = Status.Slashed;
            $.slashCoveredBefore[orchestrator] = _currentRound() + 1;
            Params memory p = $.params;
            (uint256 slashed, uint256 finderFee) =
                staking.slash(orchestrator, p.slashFractionPpm, challenger, p.finderFeePpm);
            emit OrchestratorSlashed(challengeId, orchestrator, slashed, finderFee);
            emit ChallengerRewarded(challengeId, challenger, finderFee);
        } else {
            // An unsuccessful challenge costs its challenger, and nothing of it reaches the
            // orchestrator (who could otherwise challenge itself for free from a second account).
            uint256 burned = bond;
            if (verdict == IFaultVerification.Verdict.NoFault) {
                c.status = Status.Rejected;
            } else {
                c.status = Status.Dismissed;
                burned = bond * NO_DECISION_BURN_PPM / PPM;
                $.credits[challenger] += bond - burned;
                emit BondRefunded(challengeId, challenger, bond - burned);
            }
            $.burnedBonds += burned;
            emit BondBurned(challengeId, challenger, burned);
            if (frozen) staking.unfreezeStake(orchestrator);
        }
    }

    /// @dev Stores a new pending challenge with `msg.value` as its bond.
    function _record(
        FaultVerifierStorage storage $,
        address orchestrator,
        address verifier,
        bytes32 key,
        bytes32 digest,
        uint256 creationRound
    ) private returns (uint256 challengeId) {
        uint96 bond = $.params.challengeBond;
        if (msg.value != bond) revert WrongBond(msg.value, bond);
        challengeId = ++$.challengeCount;
        $.challenges[challengeId] = Challenge({
            challenger: msg.sender,
            bond: bond,
            orchestrator: orchestrator,
            status: Status.Pending,
            verifier: verifier,
            creationRound: SafeCast.toUint64(creationRound)
        });
        $.challengeOfSegment[key] = challengeId;
        $.pendingBonds += bond;
        emit ChallengeOpened(challengeId, orchestrator, msg.sender, key, digest, verifier, bond);
    }

    /// @dev The receipt is signed by its orchestrator under this domain, inside its challenge window,
    /// and its segment has never been challenged. `created`: its creation round, at most the current
    /// round (a receipt dated in the future was signed now at the latest).
    function _checkReceipt(
        FaultVerifierStorage storage $,
        SegmentReceipt.Receipt calldata receipt,
        bytes calldata signature
    ) private view returns (bytes32 digest, bytes32 key, uint256 created) {
        digest = _receiptDigest(receipt);
        address recovered = ECDSA.recoverCalldata(digest, signature);
        if (recovered != receipt.orchestrator) revert InvalidReceiptSigner(receipt.orchestrator, recovered);
        created = receipt.ticket.creationRound;
        uint256 current = _checkWindow(created, $.params.challengeWindowRounds);
        if (created > current) created = current;
        key = SegmentReceipt.segmentKey(receipt);
        uint256 earlier = $.challengeOfSegment[key];
        if (earlier != 0) revert SegmentAlreadyChallenged(key, earlier);
    }

    function _checkWindow(uint256 creationRound, uint256 windowRounds)
        private
        view
        returns (uint256 current)
    {
        current = _currentRound();
        uint256 last = creationRound + windowRounds;
        if (current > last) revert ChallengeWindowExpired(creationRound, last, current);
    }

    function _currentRound() private view returns (uint256) {
        return IRoundsManager(controller.getContract(ContractIds.ROUNDS_MANAGER)).currentRound();
    }

    function _verifierFor(FaultVerifierStorage storage $, address orchestrator, bytes32 serviceId)
        private
        view
        returns (address verifier)
    {
        verifier = IServiceVerifiers(controller.getContract(ContractIds.SERVICE_REGISTRY))
            .verifierFor(orchestrator, serviceId);
        if (verifier == address(0)) revert NoVerifier(orchestrator, serviceId);
        if (!$.approvedVerifiers[verifier]) revert VerifierNotApproved(verifier);
    }

    function _setParams(Params calldata p) private {
        if (
            p.challengeWindowRounds == 0 || p.challengeBond == 0 || p.slashFractionPpm == 0
                || p.slashFractionPpm > PPM || p.finderFeePpm < MIN_FINDER_FEE_PPM || p.finderFeePpm >= PPM
        ) revert InvalidParams(p);
        uint256 unbonding =
            IUnbondingPeriod(controller.getContract(ContractIds.BONDING_MANAGER)).unbondingPeriod();
        if (p.challengeWindowRounds >= unbonding) {
            revert ChallengeWindowTooLong(p.challengeWindowRounds, unbonding);
        }
        _storage().params = p;
        emit ParamsUpdated(p);
    }

    function _staking() private view returns (IStakeSlasher) {
        return IStakeSlasher(controller.getContract(ContractIds.BONDING_MANAGER));
    }

    function _receiptDigest(SegmentReceipt.Receipt calldata receipt) private view returns (bytes32) {
        return SegmentReceipt.toTypedDataHash(domainSeparator(), SegmentReceipt.hash(receipt));
    }

    function _storage() internal pure returns (FaultVerifierStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
