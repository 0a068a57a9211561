// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IEquivocationVerifier} from "../../src/interfaces/IEquivocationVerifier.sol";
import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";

contract EquivocationVerifierTest is VerifierFixture {
    function setUp() public {
        deployVerifierProtocol();
    }

    /// @dev The challenged receipt.
    function _mine() internal view returns (SegmentReceipt.Receipt memory) {
        return _receipt(1, DETERMINISTIC_SERVICE, keccak256("good"));
    }

    /// @dev The conflicting receipt: same segment input, another stream, another 720p output.
    function _theirs() internal view returns (SegmentReceipt.Receipt memory o) {
        o = _receipt(1, DETERMINISTIC_SERVICE, keccak256("forged"));
        o.streamId = keccak256("stream-2");
    }

    function _evidence(SegmentReceipt.Receipt memory other, uint256 key, uint256 i, uint256 j)
        internal
        view
        returns (bytes memory)
    {
        return abi.encode(other, _signReceipt(key, other), i, j);
    }

    function _open(SegmentReceipt.Receipt memory r, bytes memory sig, bytes memory evidence)
        internal
        returns (uint256)
    {
        vm.prank(challenger);
        return fv.openChallenge{value: BOND}(r, sig, evidence);
    }

    function test_ProvesEquivocation() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes32 digest = fv.receiptDigest(r);
        bytes32 otherDigest = fv.receiptDigest(other);
        bytes32 pairKey = v.equivocation.pairKeyOf(digest, otherDigest);
        vm.expectEmit(address(v.equivocation));
        emit IEquivocationVerifier.EquivocationProven(1, pairKey, otherDigest, PROFILE_720P);
        uint256 id = _open(r, sig, _evidence(other, orchestratorKey, 0, 0));
        assertEq(v.equivocation.provenBy(pairKey), id);
        assertEq(v.equivocation.pairKeyOf(otherDigest, digest), pairKey);
        assertEq(uint256(fv.getChallenge(id).status), uint256(IFaultVerifier.Status.Slashed));
    }

    function test_RevertWhen_ServiceNotDeterministic() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        v.equivocation.setDeterministic(DETERMINISTIC_SERVICE, false);
        bytes memory evidence = _evidence(other, orchestratorKey, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEquivocationVerifier.ServiceNotDeterministic.selector, DETERMINISTIC_SERVICE
            )
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_OtherReceiptSignedBySomeoneElse() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        (address mallory, uint256 malloryKey) = makeAddrAndKey("mallory");
        bytes memory evidence = _evidence(other, malloryKey, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEquivocationVerifier.EvidenceSignerMismatch.selector, orchestrator, mallory
            )
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_OtherReceiptIsTheSame() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        other = _mine();
        bytes memory evidence = _evidence(other, orchestratorKey, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IEquivocationVerifier.SameReceipt.selector, fv.receiptDigest(r))
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_OtherReceiptNamesAnotherOrchestrator() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        other.orchestrator = delegator;
        bytes memory evidence = _evidence(other, orchestratorKey, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEquivocationVerifier.OrchestratorMismatch.selector, orchestrator, delegator
            )
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_DifferentInput() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        other.inputHash = keccak256("another input");
        bytes memory evidence = _evidence(other, orchestratorKey, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IEquivocationVerifier.InputMismatch.selector, r.inputHash, other.inputHash)
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_DifferentService() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        other.serviceId = COMMITTEE_SERVICE;
        bytes memory evidence = _evidence(other, orchestratorKey, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEquivocationVerifier.ServiceMismatch.selector, DETERMINISTIC_SERVICE, COMMITTEE_SERVICE
            )
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_DifferentProfile() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes memory evidence = _evidence(other, orchestratorKey, 0, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IEquivocationVerifier.ProfileMismatch.selector, PROFILE_720P, PROFILE_360P)
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_RenditionIndexOutOfRange() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes memory evidence = _evidence(other, orchestratorKey, 2, 0);
        vm.expectRevert(abi.encodeWithSelector(IEquivocationVerifier.RenditionIndexOutOfRange.selector, 2, 2));
        _open(r, sig, evidence);
        evidence = _evidence(other, orchestratorKey, 0, 5);
        vm.expectRevert(abi.encodeWithSelector(IEquivocationVerifier.RenditionIndexOutOfRange.selector, 5, 2));
        _open(r, sig, evidence);
    }

    function test_RevertWhen_OutputsAgree() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        // same 360p output in both receipts: consistent, whatever the 720p says
        bytes memory evidence = _evidence(other, orchestratorKey, 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IEquivocationVerifier.OutputsAgree.selector, r.renditions[1].outputHash)
        );
        _open(r, sig, evidence);
    }

    function test_RevertWhen_SamePairProvesTwice() public {
        SegmentReceipt.Receipt memory r = _mine();
        SegmentReceipt.Receipt memory other = _theirs();
        bytes memory sig = _signReceipt(orchestratorKey, r);
        uint256 first = _open(r, sig, _evidence(other, orchestratorKey, 0, 0));
        // now challenge the other receipt's segment with the first receipt as evidence
        bytes32 pairKey = v.equivocation.pairKeyOf(fv.receiptDigest(r), fv.receiptDigest(other));
        bytes memory evidence = abi.encode(r, _signReceipt(orchestratorKey, r), uint256(0), uint256(0));
        bytes memory otherSig = _signReceipt(orchestratorKey, other);
        vm.expectRevert(
            abi.encodeWithSelector(IEquivocationVerifier.EquivocationAlreadyProven.selector, pairKey, first)
        );
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(other, otherSig, evidence);
    }

    function test_RevertWhen_CalledByOtherThanFaultVerifier() public {
        SegmentReceipt.Receipt memory r = _mine();
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.FAULT_VERIFIER
            )
        );
        v.equivocation.onChallenge(1, r, bytes32(0), "");
    }

    function test_RevertWhen_SetDeterministicNotGovernance() public {
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, challenger));
        v.equivocation.setDeterministic(COMMITTEE_SERVICE, true);
    }
}
