// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeVerifier} from "../../src/interfaces/ICommitteeVerifier.sol";
import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

contract FaultVerifierFuzzTest is VerifierFixture {
    function setUp() public {
        deployVerifierProtocol();
    }

    /// @dev Any governance split: slashed = stake * fraction, the challenger gets its share, the rest
    /// is burned, delegators lose pro rata, and the bond comes back.
    function testFuzz_SlashSplitsExactly(uint256 fraction, uint256 finder, uint256 extraStake) public {
        fraction = bound(fraction, 1, 1e6);
        finder = bound(finder, fv.MIN_FINDER_FEE_PPM(), 1e6 - 1);
        extraStake = bound(extraStake, 1, 1_000_000 ether);
        _bond(makeAddr("late delegator"), orchestrator, extraStake);
        IFaultVerifier.Params memory p = defaultParams();
        // casting to 'uint32' is safe because both are bounded to at most 1e6
        // forge-lint: disable-next-line(unsafe-typecast)
        p.slashFractionPpm = uint32(fraction);
        // forge-lint: disable-next-line(unsafe-typecast)
        p.finderFeePpm = uint32(finder);
        fv.setParams(p);

        uint256 stake = staking.totalStakeOf(orchestrator);
        uint256 delegated = staking.stakeOf(delegator, orchestrator);
        uint256 supply = d.token.totalSupply();
        uint256 held = d.token.balanceOf(address(staking));

        SegmentReceipt.Receipt memory r = _receipt(1, DETERMINISTIC_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        bytes memory evidence = _equivocationEvidence(r);
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, evidence);

        uint256 slashed = stake * fraction / 1e6;
        uint256 fee = slashed * finder / 1e6;
        assertEq(staking.totalStakeOf(orchestrator), stake - slashed, "stake");
        assertEq(held - d.token.balanceOf(address(staking)), slashed, "slashed = tokens out of staking");
        assertEq(d.token.balanceOf(challenger), fee, "finder fee");
        assertEq(supply - d.token.totalSupply(), slashed - fee, "burned");
        assertApproxEqAbs(staking.stakeOf(delegator, orchestrator), delegated - delegated * fraction / 1e6, 2);
        assertEq(fv.creditOf(challenger), BOND);
    }

    /// @dev A challenge opens exactly while currentRound <= creationRound + window.
    function testFuzz_WindowBoundary(uint256 roundsLater, uint256 blockInRound) public {
        roundsLater = bound(roundsLater, 0, 3 * WINDOW);
        blockInRound = bound(blockInRound, 0, ROUND_LENGTH - 1);
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        uint256 start = d.rounds.currentRoundStartBlock();
        vm.roll(start + roundsLater * ROUND_LENGTH + blockInRound);
        uint256 current = d.rounds.currentRound();
        if (roundsLater > WINDOW) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IFaultVerifier.ChallengeWindowExpired.selector,
                    r.ticket.creationRound,
                    r.ticket.creationRound + WINDOW,
                    current
                )
            );
        }
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    /// @dev Changing any signed field after signing breaks the signature.
    function testFuzz_EveryFieldIsSigned(uint256 field, bytes32 noise) public {
        SegmentReceipt.Receipt memory r = _receipt(1, COMMITTEE_SERVICE, keccak256("x"));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        field = bound(field, 0, 13);
        noise = bytes32(uint256(keccak256(abi.encode(noise))) | 1); // non-zero in every low-order width
        if (field == 0) r.broadcaster = address(uint160(r.broadcaster) ^ uint160(uint256(noise))); // forge-lint: disable-line(unsafe-typecast)
        else if (field == 1) r.streamId ^= noise;
        else if (field == 2) r.seqNo ^= uint256(noise);
        else if (field == 3) r.inputHash ^= noise;
        else if (field == 4) r.serviceId ^= noise;
        else if (field == 5) r.renditions[0].profile ^= noise;
        else if (field == 6) r.renditions[1].outputHash ^= noise;
        else if (field == 7) r.renditions[0].pixels ^= uint64(uint256(noise)); // forge-lint: disable-line(unsafe-typecast)
        else if (field == 8) r.ticket.faceValue ^= uint256(noise);
        else if (field == 9) r.ticket.winProb ^= uint256(noise);
        else if (field == 10) r.ticket.senderNonce ^= uint256(noise);
        else if (field == 11) r.ticket.recipientRandHash ^= noise;
        else if (field == 12) r.ticket.creationRound = r.ticket.creationRound - 1; // still in window
        else (r.renditions[0], r.renditions[1]) = (r.renditions[1], r.renditions[0]); // order is signed
        if (r.broadcaster == address(0)) return;
        // a changed service may have no verifier; only the signature check is under test here
        registry.setDefault(r.serviceId, address(v.committee));
        address recovered = ECDSA.recover(fv.receiptDigest(r), sig);
        vm.expectRevert(
            abi.encodeWithSelector(IFaultVerifier.InvalidReceiptSigner.selector, orchestrator, recovered)
        );
        vm.prank(challenger);
        fv.openChallenge{value: BOND}(r, sig, "");
    }

    /// @dev A verdict needs at least `threshold` distinct members; any such set decides.
    function testFuzz_CommitteeThreshold(uint256 n, bool fault) public {
        n = bound(n, 0, COMMITTEE_SIZE);
        (uint256 id,) = _openCommittee(1);
        bytes[] memory sigs = _verdictSignatures(id, fault, n);
        if (n < THRESHOLD) {
            vm.expectRevert(
                abi.encodeWithSelector(ICommitteeVerifier.NotEnoughSignatures.selector, n, THRESHOLD)
            );
            v.committee.submitVerdict(id, fault, sigs);
            return;
        }
        v.committee.submitVerdict(id, fault, sigs);
        fv.resolve(id);
        IFaultVerifier.Status want = fault ? IFaultVerifier.Status.Slashed : IFaultVerifier.Status.Rejected;
        assertEq(uint256(fv.getChallenge(id).status), uint256(want));
        assertEq(staking.freezes(orchestrator), 0);
    }

    /// @dev The window can never reach the unbonding period, whatever governance asks.
    function testFuzz_WindowShorterThanUnbonding(uint64 window, uint256 unbonding) public {
        unbonding = bound(unbonding, 1, 1000);
        // casting to 'uint64' is safe because the value is bounded to 2000
        // forge-lint: disable-next-line(unsafe-typecast)
        window = uint64(bound(window, 1, 2000));
        staking.setUnbondingPeriod(unbonding);
        IFaultVerifier.Params memory p = defaultParams();
        p.challengeWindowRounds = window;
        if (window >= unbonding) {
            vm.expectRevert(
                abi.encodeWithSelector(IFaultVerifier.ChallengeWindowTooLong.selector, window, unbonding)
            );
        }
        fv.setParams(p);
    }
}
