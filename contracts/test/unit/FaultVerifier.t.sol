// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FaultVerifier} from "../../src/FaultVerifier.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IFaultVerification} from "../../src/interfaces/IFaultVerification.sol";
import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {StakeSlasherStub} from "../utils/StakeSlasherStub.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";
import {FaultVerifierHarness} from "../utils/harness/VerifierHarnesses.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

contract FaultVerifierTest is VerifierFixture {
    uint256 internal constant TOTAL_STAKE = ORCHESTRATOR_STAKE + DELEGATOR_STAKE;

    function setUp() public {
        deployVerifierProtocol();
    }

    // ------------------------------------------------------------------ deployment

    function test_Deployment() public view {
        assertEq(d.controller.getContract(ContractIds.FAULT_VERIFIER), address(fv));
        IFaultVerifier.Params memory p = fv.params();
        assertEq(p.challengeWindowRounds, WINDOW);
        assertEq(p.challengeBond, BOND);
        assertEq(p.slashFractionPpm, SLASH_PPM);
        assertEq(p.finderFeePpm, FINDER_PPM);
        assertTrue(fv.isVerifierApproved(address(v.equivocation)));
        assertTrue(fv.isVerifierApproved(address(v.committee)));
        assertEq(staking.totalStakeOf(orchestrator), TOTAL_STAKE);
    }

    function test_StorageNamespace() public {
        FaultVerifierHarness h = new FaultVerifierHarness(IController(address(1)));
        bytes32 expected = keccak256(abi.encode(uint256(keccak256("streamflow.storage.FaultVerifier")) - 1))
            & ~bytes32(uint256(0xff));
        assertEq(h.storageSlot(), expected);
        // and the proxy really keeps its parameters there (slot 0 of the namespace)
        uint256 packed = uint256(vm.load(address(fv), expected));
        assertEq(packed & type(uint64).max, WINDOW); // challengeWindowRounds: bits 0..63
        assertEq((packed >> 64) & type(uint96).max, BOND); // challengeBond: bits 64..159
    }

    function test_RevertWhen_InitializingImplementation() public {
        vm.expectRevert();
        FaultVerifier(v.faultVerifierImplementation).initialize(defaultParams());
    }

    // ------------------------------------------------------------------ equivocation (synchronous)

    function test_EquivocationSlashesAndPaysChallenger() public {
        SegmentReceipt.Receipt memory r = _receipt(1, DETERMINISTIC_SERVICE, keccak256("good"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes memory evidence = _equivocationEvidence(r);
        uint256 supply = d.token.totalSupply();
        uint256 slashed = TOTAL_STAKE * SLASH_PPM / 1e6;
        uint256 fee = slashed * FINDER_PPM / 1e6;

        vm.expectEmit(true, true, false, true, address(fv));
        emit IFaultVerifier.OrchestratorSlashed(1, orchestrator, slashed, fee);
        vm.expectEmit(true, true, false, true, address(fv));
        emit IFaultVerifier.ChallengerRewarded(1, challenger, fee);
        vm.prank(challenger);
        uint256 id = fv.openChallenge{value: BOND}(r, sig, evidence);

        assertEq(id, 1);
        IFaultVerifier.Challenge memory c = fv.getChallenge(id);
        assertEq(uint256(c.status), uint256(IFaultVerifier.Status.Slashed));
        assertEq(c.orchestrator, orchestrator);
        assertEq(c.challenger, challenger);
        assertEq(staking.totalStakeOf(orchestrator), TOTAL_STAKE - slashed);
        assertEq(d.token.balanceOf(challenger), fee);
        assertEq(d.token.totalSupply(), supply - (slashed - fee));
        // delegators lose pro rata
        assertEq(staking.stakeOf(delegator, orchestrator), DELEGATOR_STAKE * 9 / 10);
        assertEq(staking.stakeOf(orchestrator, orchestrator), ORCHESTRATOR_STAKE * 9 / 10);
        // bond back, never frozen
        assertEq(fv.creditOf(challenger), BOND);
        assertEq(fv.pendingBonds(), 0);
        assertEq(staking.freezes(orchestrator), 0);
    }

    // ------------------------------------------------------------------ committee (asynchronous)

    function test_CommitteeChallengeFreezesStake() public {
        vm.expectEmit(true, true, true, false, address(fv));
        emit IFaultVerifier.ChallengeOpened(1, orchestrator, challenger, 0, 0, address(0), 0);
        (uint256 id,) = _openCommittee(1);
        assertEq(uint256(fv.getChallenge(id).status), uint256(IFaultVerifier.Status.Pending));
        assertEq(staking.freezes(orchestrator), 1);
        assertEq(fv.pendingBonds(), BOND);
        assertEq(address(fv).balance, BOND);

        vm.prank(delegator);
        vm.expectRevert(abi.encodeWithSelector(StakeSlasherStub.StakeFrozen.selector, orchestrator));
        staking.unbond(orchestrator, 1);
    }

    function test_CommitteeFaultSlashes() public {
        (uint256 id,) = _openCommittee(1);
        v.committee.submitVerdict(id, true, _verdictSignatures(id, true, THRESHOLD));
        vm.expectEmit(true, false, false, true, address(fv));
        emit IFaultVerifier.VerdictReached(id, IFaultVerification.Verdict.Fault);
        assertEq(uint256(fv.resolve(id)), uint256(IFaultVerification.Verdict.Fault));
        assertEq(uint256(fv.getChallenge(id).status), uint256(IFaultVerifier.Status.Slashed));
        assertEq(staking.totalStakeOf(orchestrator), TOTAL_STAKE * 9 / 10);
        assertEq(staking.freezes(orchestrator), 0);
        assertEq(fv.creditOf(challenger), BOND);
    }

    /// The bond of a failed challenge is burned: none of it reaches the orchestrator (who could
    /// otherwise challenge itself for free from a second account).
    function test_CommitteeNoFaultBurnsBond() public {
        (uint256 id,) = _openCommittee(1);
        v.committee.submitVerdict(id, false, _verdictSignatures(id, false, THRESHOLD));
        vm.expectEmit(true, true, false, true, address(fv));
        emit IFaultVerifier.BondBurned(id, challenger, BOND);
        fv.resolve(id);
        assertEq(uint256(fv.getChallenge(id).status), uint256(IFaultVerifier.Status.Rejected));
        assertEq(fv.creditOf(orchestrator), 0);
        assertEq(fv.creditOf(challenger), 0);
        assertEq(fv.burnedBonds(), BOND);
        assertEq(staking.totalStakeOf(orchestrator), TOTAL_STAKE);
        assertEq(staking.freezes(orchestrator), 0);
    }

    function test_CommitteeSilenceRefundsBondLessTheBurnWithoutSlash() public {
        (uint256 id,) = _openCommittee(1);
        vm.roll(block.number + VERDICT_PERIOD + 1);
        uint256 burned = BOND * fv.NO_DECISION_BURN_PPM() / 1e6;
        vm.expectEmit(true, true, false, true, address(fv));
        emit IFaultVerifier.BondRefunded(id, challenger, BOND - burned);
        vm.expectEmit(true, true, false, true, address(fv));
        emit IFaultVerifier.BondBurned(id, challenger, burned);
        assertEq(uint256(fv.resolve(id)), uint256(IFaultVerification.Verdict.NoDecision));
        assertEq(uint256(fv.getChallenge(id).status), uint256(IFaultVerifier.Status.Dismissed));
        assertEq(fv.creditOf(challenger), BOND - burned, "no decision still costs the challenger");
        assertEq(fv.creditOf(orchestrator), 0);
        assertEq(fv.burnedBonds(), burned);
        assertEq(staking.totalStakeOf(orchestrator), TOTAL_STAKE);
        assertEq(staking.freezes(orchestrator), 0);
    }

    function test_RevertWhen_ResolvingBeforeVerdict() public {
        (uint256 id,) = _openCommittee(1);
        vm.roll(block.number + VERDICT_PERIOD);
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.VerdictPending.selector, id));
        fv.resolve(id);
    }

    function test_RevertWhen_ResolvingTwice() public {
        (uint256 id,) = _openCommittee(1);
        vm.roll(block.number + VERDICT_PERIOD + 1);
        fv.resolve(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFaultVerifier.ChallengeNotPending.selector, id, IFaultVerifier.Status.Dismissed
            )
        );
        fv.resolve(id);
    }

    function test_RevertWhen_ResolvingUnknownChallenge() public {
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.UnknownChallenge.selector, 7));
        fv.resolve(7);
    }

    function test_WithdrawPaysCredit() public {
        (uint256 id,) = _openCommittee(1);
        vm.roll(block.number + VERDICT_PERIOD + 1);
        fv.resolve(id);
        uint256 before = challenger.balance;
        uint256 refund = BOND - BOND * fv.NO_DECISION_BURN_PPM() / 1e6;
        vm.prank(challenger);
        fv.withdraw();
        assertEq(challenger.balance, before + refund);
        assertEq(fv.creditOf(challenger), 0);
        assertEq(address(fv).balance, fv.burnedBonds(), "only the burned part stays");
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.NothingToWithdraw.selector, challenger));
        fv.withdraw();
    }

    function test_RevertWhen_WithdrawTransferFails() public {
        EthRejecter rejecter = new EthRejecter();
        vm.deal(address(rejecter), 1 ether);
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.prank(address(rejecter));
        uint256 id = fv.openChallenge{value: BOND}(r, sig, "");
        vm.roll(block.number + VERDICT_PERIOD + 1);
        fv.resolve(id);
        uint256 refund = BOND - BOND * fv.NO_DECISION_BURN_PPM() / 1e6;
        vm.prank(address(rejecter));
        vm.expectRevert(
            abi.encodeWithSelector(IFaultVerifier.TransferFailed.selector, address(rejecter), refund)
        );
        fv.withdraw();
        assertEq(fv.creditOf(address(rejecter)), refund); // still owed
    }

    // ------------------------------------------------------------------ bad input

    function test_OpenInLastRoundOfWindow() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.roll(block.number + WINDOW * ROUND_LENGTH);
        assertEq(d.rounds.currentRound(), r.ticket.creationRound + WINDOW);
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_WindowExpired() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.roll(block.number + (WINDOW + 1) * ROUND_LENGTH);
        uint256 created = r.ticket.creationRound;
        vm.expectRevert(
            abi.encodeWithSelector(
                IFaultVerifier.ChallengeWindowExpired.selector,
                created,
                created + WINDOW,
                created + WINDOW + 1
            )
        );
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_ReceiptSignedBySomeoneElse() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        (address mallory, uint256 malloryKey) = makeAddrAndKey("mallory");
        bytes memory sig = _signReceipt(malloryKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(IFaultVerifier.InvalidReceiptSigner.selector, orchestrator, mallory)
        );
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_ReceiptSignedForAnotherChain() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        uint256 chain = block.chainid;
        vm.chainId(chain + 1);
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.chainId(chain);
        address recovered = ECDSA.recover(fv.receiptDigest(r), sig);
        assertNotEq(recovered, orchestrator);
        vm.expectRevert(
            abi.encodeWithSelector(IFaultVerifier.InvalidReceiptSigner.selector, orchestrator, recovered)
        );
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_ReceiptSignedForAnotherVerifyingContract() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes32 foreignDomain = SegmentReceipt.domainSeparator(
            keccak256("Streamflow FaultVerifier"), keccak256("1"), makeAddr("another FaultVerifier")
        );
        bytes memory sig = _sign(
            orchestratorKey, SegmentReceipt.toTypedDataHash(foreignDomain, SegmentReceipt.hashMemory(r))
        );
        address recovered = ECDSA.recover(fv.receiptDigest(r), sig);
        vm.expectRevert(
            abi.encodeWithSelector(IFaultVerifier.InvalidReceiptSigner.selector, orchestrator, recovered)
        );
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_ReceiptTamperedAfterSigning() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        r.renditions[1].pixels += 1;
        address recovered = ECDSA.recover(fv.receiptDigest(r), sig);
        vm.expectRevert(
            abi.encodeWithSelector(IFaultVerifier.InvalidReceiptSigner.selector, orchestrator, recovered)
        );
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_SignatureNot65Bytes() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        (uint8 v_, bytes32 rr, bytes32 s) = vm.sign(orchestratorKey, fv.receiptDigest(r));
        bytes memory compact = abi.encodePacked(rr, bytes32(uint256(s) | (uint256(v_ - 27) << 255)));
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 64));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, compact, "");
    }

    function test_RevertWhen_SignatureHighS() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        (uint8 v_, bytes32 rr, bytes32 s) = vm.sign(orchestratorKey, fv.receiptDigest(r));
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes32 highS = bytes32(n - uint256(s));
        bytes memory malleated = abi.encodePacked(rr, highS, v_ == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, malleated, "");
    }

    function test_RevertWhen_SegmentAlreadyChallenged() public {
        (uint256 id, SegmentReceipt.Receipt memory r) = _openCommittee(1);
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes32 key = keccak256(abi.encode(r.orchestrator, r.broadcaster, r.streamId, r.seqNo));
        assertEq(fv.challengeOfSegment(key), id);
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.SegmentAlreadyChallenged.selector, key, id));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_SegmentChallengedAgainAfterSettlement() public {
        (uint256 id, SegmentReceipt.Receipt memory r) = _openCommittee(1);
        vm.roll(block.number + VERDICT_PERIOD + 1);
        fv.resolve(id);
        // a different receipt for the same segment (another output claimed) is still the same segment
        r.renditions[0].outputHash = keccak256("other");
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes32 key = keccak256(abi.encode(r.orchestrator, r.broadcaster, r.streamId, r.seqNo));
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.SegmentAlreadyChallenged.selector, key, id));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_OrchestratorFullyUnbonded() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        uint256 own = staking.sharesOf(orchestrator, orchestrator);
        uint256 delegated = staking.sharesOf(delegator, orchestrator);
        vm.prank(orchestrator);
        staking.unbond(orchestrator, own);
        vm.prank(delegator);
        staking.unbond(orchestrator, delegated);
        assertEq(staking.totalStakeOf(orchestrator), 0);
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.OrchestratorNotStaked.selector, orchestrator));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_WrongBond() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.WrongBond.selector, BOND - 1, BOND));
        vm.prank(challenger);
        fv.openChallenge{value: BOND - 1}(r, sig, "");
    }

    function test_RevertWhen_ServiceHasNoVerifier() public {
        bytes32 service = keccak256("unverified");
        SegmentReceipt.Receipt memory r = _receipt(1, service, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.NoVerifier.selector, orchestrator, service));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_VerifierNotApproved() public {
        // an orchestrator declaring its own (always-innocent) verifier gains nothing
        address rogue = makeAddr("rogue verifier");
        registry.declare(orchestrator, COMMITTEE_SERVICE, rogue);
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.VerifierNotApproved.selector, rogue));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    function test_RevertWhen_TooManyRenditions() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        r.renditions = new SegmentReceipt.Rendition[](33);
        vm.expectRevert(abi.encodeWithSelector(SegmentReceipt.TooManyRenditions.selector, 33, 32));
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, new bytes(65), "");
    }

    function test_RevertWhen_Paused() public {
        d.controller.pause();
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }
}

/// @notice A challenger contract that refuses ETH.
contract EthRejecter {
    receive() external payable {
        revert("no ETH");
    }
}
