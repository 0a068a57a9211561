// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FaultVerifier} from "../../src/FaultVerifier.sol";
import {ICommitteeVerifier} from "../../src/interfaces/ICommitteeVerifier.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IFaultVerification} from "../../src/interfaces/IFaultVerification.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {ControlledProxy} from "../../src/proxy/ControlledProxy.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";
import {CommitteeVerifierHarness} from "../utils/harness/VerifierHarnesses.sol";

contract CommitteeVerifierTest is VerifierFixture {
    uint256 internal id;

    function setUp() public {
        deployVerifierProtocol();
        (id,) = _openCommittee(1);
    }

    /// @dev The verdict as the FaultVerifier reads it (reviews are keyed by the calling verifier).
    function _verdictOf(uint256 challengeId) internal returns (IFaultVerification.Verdict) {
        vm.prank(address(fv));
        return v.committee.verdictOf(challengeId);
    }

    function test_Initialized() public view {
        assertEq(v.committee.memberCount(), COMMITTEE_SIZE);
        assertEq(v.committee.threshold(), THRESHOLD);
        assertEq(v.committee.verdictPeriod(), VERDICT_PERIOD);
        for (uint256 i; i < COMMITTEE_SIZE; ++i) {
            assertTrue(v.committee.isMember(members[i]));
        }
    }

    function test_StorageNamespace() public {
        CommitteeVerifierHarness h = new CommitteeVerifierHarness(IController(address(1)));
        assertEq(
            h.storageSlot(),
            keccak256(abi.encode(uint256(keccak256("streamflow.storage.CommitteeVerifier")) - 1))
                & ~bytes32(uint256(0xff))
        );
    }

    function test_ReviewOpensPending() public {
        SegmentReceipt.Receipt memory r =
            _receipt(1, COMMITTEE_SERVICE, keccak256(abi.encode("720", uint256(1))));
        ICommitteeVerifier.Review memory rv = v.committee.getReview(id);
        assertEq(rv.deadline, block.number + VERDICT_PERIOD);
        assertEq(rv.receiptDigest, fv.receiptDigest(r));
        assertEq(uint256(_verdictOf(id)), uint256(IFaultVerification.Verdict.Pending));
    }

    /// A replacement FaultVerifier (a new proxy: its challenge ids start at 1 again) opens its own
    /// committee reviews; it used to hit `ReviewExists(1)` on every challenge. The replaced one's
    /// pending review stays decidable (`submitVerdictFor`), under a digest of its own.
    function test_ReplacedFaultVerifierOpensCommitteeChallenges() public {
        address old = address(fv);
        FaultVerifier impl = new FaultVerifier(IController(address(d.controller)));
        FaultVerifier next = FaultVerifier(
            address(
                new ControlledProxy(
                    address(d.controller),
                    address(impl),
                    abi.encodeCall(FaultVerifier.initialize, (defaultParams()))
                )
            )
        );
        d.controller.setContract(ContractIds.FAULT_VERIFIER, address(next));
        next.setVerifierApproval(address(v.committee), true);
        fv = next;
        (uint256 nextId,) = _openCommittee(1);
        assertEq(nextId, id, "the same id, another verifier");
        v.committee.submitVerdict(nextId, true, _verdictSignatures(nextId, true, THRESHOLD));
        assertEq(uint256(next.resolve(nextId)), uint256(IFaultVerification.Verdict.Fault));

        bytes32 digest = v.committee.verdictDigestFor(old, id, false);
        assertNotEq(digest, v.committee.verdictDigest(id, false));
        bytes[] memory sigs = new bytes[](THRESHOLD);
        for (uint256 i; i < THRESHOLD; ++i) {
            sigs[i] = _sign(memberKeys[i], digest);
        }
        v.committee.submitVerdictFor(old, id, false, sigs);
        assertEq(
            uint256(v.committee.getReviewFor(old, id).verdict), uint256(IFaultVerification.Verdict.NoFault)
        );
        assertEq(uint256(v.committee.getReview(id).verdict), uint256(IFaultVerification.Verdict.Fault));
    }

    function test_SubmitVerdictAtDeadline() public {
        vm.roll(block.number + VERDICT_PERIOD);
        vm.expectEmit(address(v.committee));
        emit ICommitteeVerifier.VerdictSubmitted(id, true, COMMITTEE_SIZE);
        v.committee.submitVerdict(id, true, _verdictSignatures(id, true, COMMITTEE_SIZE));
        assertEq(uint256(_verdictOf(id)), uint256(IFaultVerification.Verdict.Fault));
    }

    function test_NoVerdictAfterDeadlineIsNoDecision() public {
        vm.roll(block.number + VERDICT_PERIOD + 1);
        assertEq(uint256(_verdictOf(id)), uint256(IFaultVerification.Verdict.NoDecision));
        assertEq(uint256(_verdictOf(999)), uint256(IFaultVerification.Verdict.NoDecision));
    }

    function test_RevertWhen_VerdictFromNonMember() public {
        (address outsider, uint256 outsiderKey) = makeAddrAndKey("outsider");
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        sigs[THRESHOLD - 1] = _sign(outsiderKey, v.committee.verdictDigest(id, true));
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.NotMember.selector, outsider));
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_SignaturesForTheOtherVerdict() public {
        // members signed "no fault"; submitting them as "fault" recovers strangers
        bytes[] memory sigs = _verdictSignatures(id, false, THRESHOLD);
        vm.expectRevert(); // NotMember(<whatever the fault digest recovers to>)
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_DuplicateMemberSignatures() public {
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        sigs[1] = sigs[0];
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.DuplicateSigner.selector, members[0]));
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_SignersNotAscending() public {
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        (sigs[0], sigs[1]) = (sigs[1], sigs[0]);
        vm.expectRevert(
            abi.encodeWithSelector(ICommitteeVerifier.SignersNotAscending.selector, members[1], members[0])
        );
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_NotEnoughSignatures() public {
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD - 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICommitteeVerifier.NotEnoughSignatures.selector, THRESHOLD - 1, THRESHOLD)
        );
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_VerdictAfterDeadline() public {
        uint256 deadline = block.number + VERDICT_PERIOD;
        vm.roll(deadline + 1);
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICommitteeVerifier.VerdictDeadlinePassed.selector, id, deadline, deadline + 1
            )
        );
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_VerdictTwice() public {
        v.committee.submitVerdict(id, false, _verdictSignatures(id, false, THRESHOLD));
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.VerdictAlreadySubmitted.selector, id));
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_UnknownReview() public {
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.UnknownReview.selector, 42));
        v.committee.submitVerdict(42, true, sigs);
    }

    function test_RevertWhen_CalledByOtherThanFaultVerifier() public {
        SegmentReceipt.Receipt memory r = _receipt(9, COMMITTEE_SERVICE, keccak256("x"));
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.FAULT_VERIFIER
            )
        );
        v.committee.onChallenge(2, r, bytes32(0), "");
    }

    // ------------------------------------------------------------------ governance

    function test_AddAndRemoveMembers() public {
        address newcomer = makeAddr("newcomer");
        vm.expectEmit(address(v.committee));
        emit ICommitteeVerifier.MemberAdded(newcomer);
        v.committee.addMember(newcomer);
        assertEq(v.committee.memberCount(), COMMITTEE_SIZE + 1);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.AlreadyMember.selector, newcomer));
        v.committee.addMember(newcomer);

        v.committee.removeMember(newcomer);
        assertFalse(v.committee.isMember(newcomer));
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.NotAMember.selector, newcomer));
        v.committee.removeMember(newcomer);
    }

    function test_RemovedMemberCannotSign() public {
        v.committee.removeMember(members[0]);
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.NotMember.selector, members[0]));
        v.committee.submitVerdict(id, true, sigs);
    }

    function test_RevertWhen_CommitteeFull() public {
        for (uint256 i = COMMITTEE_SIZE; i < v.committee.MAX_MEMBERS(); ++i) {
            v.committee.addMember(makeAddr(string.concat("extra", vm.toString(i))));
        }
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.TooManyMembers.selector, 32));
        v.committee.addMember(address(0xdead));
    }

    function test_RevertWhen_ThresholdOutOfRange() public {
        vm.expectRevert(
            abi.encodeWithSelector(ICommitteeVerifier.InvalidThreshold.selector, 0, COMMITTEE_SIZE)
        );
        v.committee.setThreshold(0);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICommitteeVerifier.InvalidThreshold.selector, COMMITTEE_SIZE + 1, COMMITTEE_SIZE
            )
        );
        v.committee.setThreshold(COMMITTEE_SIZE + 1);
        v.committee.setThreshold(COMMITTEE_SIZE);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICommitteeVerifier.InvalidThreshold.selector, COMMITTEE_SIZE, COMMITTEE_SIZE - 1
            )
        );
        v.committee.removeMember(members[0]);
    }

    function test_RevertWhen_VerdictPeriodZero() public {
        vm.expectRevert(abi.encodeWithSelector(ICommitteeVerifier.InvalidVerdictPeriod.selector, 0));
        v.committee.setVerdictPeriod(0);
    }

    function test_RevertWhen_GovernanceCalledByOthers() public {
        vm.startPrank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, challenger));
        v.committee.addMember(challenger);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, challenger));
        v.committee.removeMember(members[0]);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, challenger));
        v.committee.setThreshold(1);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, challenger));
        v.committee.setVerdictPeriod(1);
        vm.stopPrank();
    }
}
