// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SegmentReceipt} from "../libraries/SegmentReceipt.sol";
import {IFaultVerification} from "./IFaultVerification.sol";

/// @title IFaultVerifier
/// @notice Fault-based verification. Anyone holding an orchestrator's signed segment receipt may
/// challenge it within the challenge window by posting a bond (ETH). The verification function the
/// service registry names for the orchestrator's service decides. A proven fault slashes the
/// orchestrator and its delegators pro rata and pays the challenger a finder fee in LPT (a share of
/// the orchestrator's own penalty) plus its bond back; at most one slash per burst (see
/// `slashCoveredBefore`). A failed challenge burns the bond; no decision refunds it less
/// `NO_DECISION_BURN_PPM`. While a challenge is pending the orchestrator's own unbonding lock can't be
/// withdrawn (delegators are never frozen). ETH owed to anyone is credited and pulled with `withdraw`.
interface IFaultVerifier {
    /// @notice The state of a challenge.
    enum Status {
        None,
        Pending,
        Slashed,
        Rejected,
        Dismissed,
        /// @dev Fault proven, but the receipt was created at or before the round of the
        /// orchestrator's last slash: that slash already punished it (at most one slash per burst).
        Covered
    }

    /// @notice A challenge as stored: three slots. Its segment key and receipt digest are in the
    /// `ChallengeOpened` event, not in storage.
    struct Challenge {
        address challenger;
        uint96 bond;
        address orchestrator;
        Status status;
        address verifier;
        /// @dev The receipt's ticket creation round, at most the round the challenge opened
        /// (decides whether an earlier slash covers it).
        uint64 creationRound;
    }

    /// @notice Governance parameters.
    struct Params {
        /// @dev Rounds after the ticket's creation round during which a challenge may open.
        uint64 challengeWindowRounds;
        /// @dev The ETH bond a challenger posts.
        uint96 challengeBond;
        /// @dev Fraction of the orchestrator's total stake slashed on a proven fault (ppm).
        uint32 slashFractionPpm;
        /// @dev Fraction of the orchestrator's own penalty paid to the challenger (ppm); the rest of
        /// the slash, the delegators' part included, is burned.
        uint32 finderFeePpm;
    }

    /// @notice A challenge was opened.
    /// @param challengeId The new challenge.
    /// @param orchestrator The challenged orchestrator.
    /// @param challenger Who posted the bond.
    /// @param segmentKey The challenged segment, see {SegmentReceipt.segmentKey}.
    /// @param receiptDigest The receipt's EIP-712 digest (what committee members sign about).
    /// @param verifier The verification function deciding it.
    /// @param bond The ETH bond posted.
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
    /// @param challengeId The challenge.
    /// @param orchestrator The orchestrator.
    /// @param slashed LPT slashed from it and its delegators.
    /// @param finderFee The part of `slashed` paid to the challenger (the rest was burned).
    event OrchestratorSlashed(
        uint256 indexed challengeId, address indexed orchestrator, uint256 slashed, uint256 finderFee
    );

    /// @notice The challenger of a proven fault was paid: `finderFee` LPT by the staking contract, and
    /// its bond credited back.
    /// @param challengeId The challenge.
    /// @param challenger The challenger.
    /// @param finderFee LPT paid.
    event ChallengerRewarded(uint256 indexed challengeId, address indexed challenger, uint256 finderFee);

    /// @notice A bond was credited back to its challenger.
    /// @param challengeId The challenge.
    /// @param challenger The challenger.
    /// @param amount The bond, in wei.
    event BondRefunded(uint256 indexed challengeId, address indexed challenger, uint256 amount);

    /// @notice An unsuccessful challenge cost its challenger: `amount` of its bond was burned (kept by
    /// this contract for ever, never paid to anyone, in particular not to the orchestrator). The whole
    /// bond on `NoFault`, `NO_DECISION_BURN_PPM` of it on `NoDecision`.
    /// @param challengeId The challenge.
    /// @param challenger The challenger.
    /// @param amount The ETH burned, in wei.
    event BondBurned(uint256 indexed challengeId, address indexed challenger, uint256 amount);

    /// @notice A fault was proven on a receipt created at or before the round of the orchestrator's
    /// last slash: no second slash (that one covered the burst); the challenger's bond is credited back.
    /// @param challengeId The challenge.
    /// @param orchestrator The orchestrator.
    /// @param coveredBefore Receipts created before this round are covered by the last slash.
    event FaultCovered(uint256 indexed challengeId, address indexed orchestrator, uint256 coveredBefore);

    /// @notice Credited ETH was withdrawn.
    /// @param account The account paid.
    /// @param amount The amount, in wei.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Governance parameters changed.
    /// @param params The new parameters.
    event ParamsUpdated(Params params);

    /// @notice Governance approved or revoked a verification function.
    /// @param verifier The verification function.
    /// @param approved Whether new challenges may use it.
    event VerifierApprovalUpdated(address indexed verifier, bool approved);

    /// @notice The challenge window for the receipt's ticket has passed.
    /// @param creationRound The ticket's creation round.
    /// @param lastRound The last round a challenge could open.
    /// @param currentRound The current round.
    error ChallengeWindowExpired(uint256 creationRound, uint256 lastRound, uint256 currentRound);

    /// @notice The receipt wasn't signed by its orchestrator under this contract's domain (another
    /// signer, another chain or another verifying contract).
    /// @param orchestrator The receipt's orchestrator.
    /// @param recovered The address the signature recovers to under this domain.
    error InvalidReceiptSigner(address orchestrator, address recovered);

    /// @notice The segment already has a challenge (at most one per segment, ever).
    /// @param segmentKey The segment.
    /// @param challengeId Its challenge.
    error SegmentAlreadyChallenged(bytes32 segmentKey, uint256 challengeId);

    /// @notice The orchestrator has no stake left (fully unbonded).
    /// @param orchestrator The orchestrator.
    error OrchestratorNotStaked(address orchestrator);

    /// @notice The bond sent isn't the required one.
    /// @param sent `msg.value`.
    /// @param required `challengeBond`.
    error WrongBond(uint256 sent, uint256 required);

    /// @notice The service has no on-chain verification function for this orchestrator.
    /// @param orchestrator The orchestrator.
    /// @param serviceId The service.
    error NoVerifier(address orchestrator, bytes32 serviceId);

    /// @notice The registry names a verification function governance hasn't approved.
    /// @param verifier The verification function.
    error VerifierNotApproved(address verifier);

    /// @notice No challenge with this id exists.
    /// @param challengeId The id.
    error UnknownChallenge(uint256 challengeId);

    /// @notice The challenge is already resolved.
    /// @param challengeId The challenge.
    /// @param status Its final status.
    error ChallengeNotPending(uint256 challengeId, Status status);

    /// @notice The verifier hasn't decided yet.
    /// @param challengeId The challenge.
    error VerdictPending(uint256 challengeId);

    /// @notice Nothing to withdraw.
    /// @param account The caller.
    error NothingToWithdraw(address account);

    /// @notice An ETH transfer failed.
    /// @param to The recipient.
    /// @param amount The amount, in wei.
    error TransferFailed(address to, uint256 amount);

    /// @notice A parameter is out of range.
    /// @param params The rejected parameters.
    error InvalidParams(Params params);

    /// @notice The challenge window isn't shorter than the staking contract's unbonding period.
    /// @param challengeWindowRounds The rejected window.
    /// @param unbondingPeriod The unbonding period, in rounds.
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
    /// @param newParams The new parameters.
    function setParams(Params calldata newParams) external;

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

    /// @notice A proven fault on a receipt created before this round does not slash `orchestrator`
    /// again: its last slash (in round `coveredBefore - 1`) covered it. 0 if never slashed.
    /// @param orchestrator The orchestrator.
    /// @return coveredBefore The first creation round a new slash needs.
    function slashCoveredBefore(address orchestrator) external view returns (uint256 coveredBefore);

    /// @notice ETH of bonds burned by unsuccessful challenges (held by this contract, never paid out).
    /// @return The amount in wei.
    function burnedBonds() external view returns (uint256);

    /// @notice The number of challenges opened so far (ids run from 1).
    /// @return The count.
    function challengeCount() external view returns (uint256);

    /// @notice The EIP-712 domain separator receipts are signed under.
    /// @return The separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The EIP-712 domain receipts are signed under, as EIP-5267 describes it: name
    /// "Streamflow FaultVerifier", version "1", this chain's id and this contract's (proxy) address.
    /// @return fields `0x0f`: name, version, chainId and verifyingContract are used.
    /// @return name "Streamflow FaultVerifier".
    /// @return version "1".
    /// @return chainId The chain's id.
    /// @return verifyingContract This contract's address.
    /// @return salt Zero (unused).
    /// @return extensions Empty.
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
        );

    /// @notice The digest an orchestrator signs for `receipt`.
    /// @param receipt The receipt.
    /// @return The EIP-712 digest.
    function receiptDigest(SegmentReceipt.Receipt calldata receipt) external view returns (bytes32);
}
