// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";

/// @notice Gas of the fault-verification hot paths, recorded in `snapshots/verifier.json` and checked
/// in CI. Receipts carry two renditions; the committee is 3 of 5. A forge test is one transaction, so
/// before each measured call every protocol account is cooled (`vm.cool`) to price it as the first
/// call of its own transaction, as on chain.
contract FaultVerifierGasTest is VerifierFixture {
    function setUp() public {
        deployVerifierProtocol();
    }

    function _coolAll() internal {
        vm.cool(address(fv));
        vm.cool(v.faultVerifierImplementation);
        vm.cool(address(v.committee));
        vm.cool(v.committeeImplementation);
        vm.cool(address(v.equivocation));
        vm.cool(address(staking));
        vm.cool(address(registry));
        vm.cool(address(d.controller));
        vm.cool(address(d.token));
        vm.cool(d.tokenImplementation);
        vm.cool(address(d.rounds));
        vm.cool(d.roundsImplementation);
    }

    /// @dev Opening a challenge that waits for a verdict: checks, record, committee review, freeze.
    function test_GasOpenChallengeCommittee() public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        _coolAll();
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
        vm.snapshotGasLastCall("verifier", "openChallenge committee (pending, freezes stake)");
    }

    /// @dev Opening an equivocation challenge: checks, record, on-chain decision and the slash, in one call.
    function test_GasOpenChallengeEquivocation() public {
        SegmentReceipt.Receipt memory r = _receipt(1, DETERMINISTIC_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes memory evidence = _equivocationEvidence(r);
        _coolAll();
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, evidence);
        vm.snapshotGasLastCall("verifier", "openChallenge equivocation (decides and slashes)");
    }

    /// @dev The equivocation verifier's decision alone, as the FaultVerifier calls it.
    function test_GasEquivocationDecision() public {
        SegmentReceipt.Receipt memory r = _receipt(1, DETERMINISTIC_SERVICE, keccak256("x"));
        bytes32 digest = fv.receiptDigest(r);
        bytes memory evidence = _equivocationEvidence(r);
        _coolAll();
        vm.prank(address(fv));
        v.equivocation.onChallenge(1, r, digest, evidence);
        vm.snapshotGasLastCall("verifier", "equivocation decision (onChallenge)");
    }

    function test_GasCommitteeDecision() public {
        (uint256 id,) = _openCommittee(1);
        bytes[] memory sigs = _verdictSignatures(id, true, THRESHOLD);
        _coolAll();
        v.committee.submitVerdict(id, true, sigs);
        vm.snapshotGasLastCall("verifier", "committee decision (submitVerdict 3 of 5)");
    }

    /// @dev Settling a proven fault: unfreeze, slash (pro rata, finder fee, burn), bond credited.
    function test_GasResolveFaultSlash() public {
        (uint256 id,) = _openCommittee(1);
        v.committee.submitVerdict(id, true, _verdictSignatures(id, true, THRESHOLD));
        _coolAll();
        fv.resolve(id);
        vm.snapshotGasLastCall("verifier", "resolve fault (slash)");
    }

    function test_GasResolveNoFault() public {
        (uint256 id,) = _openCommittee(1);
        v.committee.submitVerdict(id, false, _verdictSignatures(id, false, THRESHOLD));
        _coolAll();
        fv.resolve(id);
        vm.snapshotGasLastCall("verifier", "resolve no fault (bond burned)");
    }

    function test_GasResolveNoDecision() public {
        (uint256 id,) = _openCommittee(1);
        vm.roll(block.number + VERDICT_PERIOD + 1);
        _coolAll();
        fv.resolve(id);
        vm.snapshotGasLastCall("verifier", "resolve no decision (bond refunded less 10 % burned)");
    }

    function test_GasWithdraw() public {
        (uint256 id,) = _openCommittee(1);
        vm.roll(block.number + VERDICT_PERIOD + 1);
        fv.resolve(id);
        _coolAll();
        vm.prank(challenger);
        fv.withdraw();
        vm.snapshotGasLastCall("verifier", "withdraw");
    }
}
