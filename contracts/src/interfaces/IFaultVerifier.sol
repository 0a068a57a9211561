// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SegmentReceipt} from "../libraries/SegmentReceipt.sol";
import {IFaultVerification} from "./IFaultVerification.sol";

/// @title IFaultVerifier
/// @notice Fault-based verification. Anyone holding an orchestrator's signed segment receipt may
/// challenge it within the challenge window by posting a bond (ETH). The verification function the
/// service registry names for the orchestrator's service decides. A proven fault slashes the
/// orchestrator and its delegators pro rata and pays the challenger a finder fee in LPT plus its
/// bond back; a failed challenge forfeits the bond to the orchestrator; no decision refunds it.
/// While a challenge is pending the orchestrator's stake is frozen. ETH owed to anyone is credited
/// and pulled with `withdraw`.
interface IFaultVerifier {
    /// @notice The state of a challenge.
    enum Status {
        None,
        Pending,
        Slashed,
        Rejected,
        Dismissed
    }

    /// @notice A challenge as stored: three slots. Its segment key and receipt digest are in the
    /// `ChallengeOpened` event, not in storage.
    struct Challenge {
        address challenger;
        uint96 bond;
        address orchestrator;
        Status status;
        address verifier;
    }

    /// @notice Governance parameters.
    struct Params {
        /// @dev Rounds after the ticket's creation round during which a challenge may open.
        uint64 challengeWindowRounds;
        /// @dev The ETH bond a challenger posts.
        uint96 challengeBond;
        /// @dev Fraction of the orchestrator's total stake slashed on a proven fault (ppm).
        uint32 slashFractionPpm;
        /// @dev Fraction of the slashed amount paid to the challenger (ppm); the rest is burned.
        uint32 finderFeePpm;
    }

    /// @notice A challenge was opened.
    event ChallengeOpened(
        uint256 indexed challengeId,
        address indexed orchestrator,
        address indexed challenger,
        bytes32 segmentKey,
        bytes32 receiptDigest,
        address verifier,
        uint256 bond
    );

    /// @notice A challenge was decided.
    /// @param challengeId The challenge.
    /// @param verdict The verifier's verdict (never `Pending`).
    event VerdictReached(uint256 indexed challengeId, IFaultVerification.Verdict verdict);

    /// @notice An orchestrator was slashed for a proven fault.
    event OrchestratorSlashed(
        uint256 indexed challengeId, address indexed orchestrator, uint256 slashed, uint256 finderFee
    );

    /// @notice The challenger of a proven fault was paid: `finderFee` LPT by the staking contract, and
    /// its bond credited back.
    event ChallengerRewarded(uint256 indexed challengeId, address indexed challenger, uint256 finderFee);

    /// @notice A bond was credited back to its challenger.
    event BondRefunded(uint256 indexed challengeId, address indexed challenger, uint256 amount);

    /// @notice A bond was forfeited and credited to the orchestrator.
    event BondForfeited(uint256 indexed challengeId, address indexed orchestrator, uint256 amount);

    /// @notice Credited ETH was withdrawn.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Governance parameters changed.
    event ParamsUpdated(Params params);

    /// @notice Governance approved or revoked a verification function.
    event VerifierApprovalUpdated(address indexed verifier, bool approved);

    /// @notice The challenge window for the receipt's ticket has passed.
    error ChallengeWindowExpired(uint256 creationRound, uint256 lastRound, uint256 currentRound);

    /// @notice The receipt wasn't signed by its orchestrator under this contract's domain (another
    /// signer, another chain or another verifying contract).
    error InvalidReceiptSigner(address orchestrator, address recovered);

    /// @notice The segment already has a challenge (at most one per segment, ever).
    error SegmentAlreadyChallenged(bytes32 segmentKey, uint256 challengeId);

    /// @notice The orchestrator has no stake left (fully unbonded).
    error OrchestratorNotStaked(address orchestrator);

    /// @notice The bond sent isn't the required one.
    error WrongBond(uint256 sent, uint256 required);

    /// @notice The service has no on-chain verification function for this orchestrator.
    error NoVerifier(address orchestrator, bytes32 serviceId);

    /// @notice The registry names a verification function governance hasn't approved.
    error VerifierNotApproved(address verifier);

    /// @notice No challenge with this id exists.
    error UnknownChallenge(uint256 challengeId);

    /// @notice The challenge is already resolved.
    error ChallengeNotPending(uint256 challengeId, Status status);

    /// @notice The verifier hasn't decided yet.
    error VerdictPending(uint256 challengeId);

    /// @notice Nothing to withdraw.
    error NothingToWithdraw(address account);

    /// @notice An ETH transfer failed.
    error TransferFailed(address to, uint256 amount);

    /// @notice A parameter is out of range.
    error InvalidParams(Params params);

    /// @notice The challenge window isn't shorter than the staking contract's unbonding period.
    error ChallengeWindowTooLong(uint256 challengeWindowRounds, uint256 unbondingPeriod);

    /// @notice Opens a challenge against `receipt` with `msg.value` as bond.
    /// @param receipt The segment receipt, signed by `receipt.orchestrator`.
    /// @param signature The orchestrator's 65-byte, low-s EIP-712 signature of the receipt.
    /// @param evidence Evidence for the service's verification function.
    /// @return challengeId The new challenge's id.
    function openChallenge(
        SegmentReceipt.Receipt calldata receipt,
        bytes calldata signature,
        bytes calldata evidence
    ) external payable returns (uint256 challengeId);

    /// @notice Settles a pending challenge once its verifier has decided. Anyone may call it.
    /// @param challengeId The challenge.
    /// @return verdict The verdict applied.
    function resolve(uint256 challengeId) external returns (IFaultVerification.Verdict verdict);

    /// @notice Pays out all ETH credited to the caller (refunded or forfeited bonds).
    function withdraw() external;

    /// @notice Sets the governance parameters. Only governance.
    /// @param params The new parameters.
    function setParams(Params calldata params) external;

    /// @notice Approves or revokes a verification function. Only governance. A challenge keeps the
    /// verifier it opened with.
    /// @param verifier The verification function.
    /// @param approved Whether challenges may use it.
    function setVerifierApproval(address verifier, bool approved) external;

    /// @notice The governance parameters.
    /// @return The parameters.
    function params() external view returns (Params memory);

    /// @notice Whether challenges may use `verifier`.
    /// @param verifier The verification function.
    /// @return True if approved.
    function isVerifierApproved(address verifier) external view returns (bool);

    /// @notice A challenge.
    /// @param challengeId The challenge.
    /// @return The stored challenge (status `None` if unknown).
    function getChallenge(uint256 challengeId) external view returns (Challenge memory);

    /// @notice The challenge of a segment, or 0 if none.
    /// @param segmentKey See {SegmentReceipt.segmentKey}.
    /// @return The challenge id.
    function challengeOfSegment(bytes32 segmentKey) external view returns (uint256);

    /// @notice ETH credited to `account` and not yet withdrawn.
    /// @param account The account.
    /// @return The amount in wei.
    function creditOf(address account) external view returns (uint256);

    /// @notice The sum of the bonds of pending challenges.
    /// @return The amount in wei.
    function pendingBonds() external view returns (uint256);

    /// @notice The number of challenges opened so far (ids run from 1).
    /// @return The count.
    function challengeCount() external view returns (uint256);

    /// @notice The EIP-712 domain separator receipts are signed under.
    /// @return The separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The digest an orchestrator signs for `receipt`.
    /// @param receipt The receipt.
    /// @return The EIP-712 digest.
    function receiptDigest(SegmentReceipt.Receipt calldata receipt) external view returns (bytes32);
}
