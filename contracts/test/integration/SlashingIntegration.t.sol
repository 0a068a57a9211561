// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {IServiceRegistry} from "../../src/interfaces/IServiceRegistry.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {StakingIntegrationBase} from "./StakingIntegration.t.sol";

/// @notice Slashing on the full protocol (real FaultVerifier, verifiers, BondingManager): the
/// orchestrator can't profit from its own fault, can't take its own stake out of a slash's reach,
/// and can't trap its delegators with challenges. Pool: 10k own + 30k delegated LPT.
contract SlashingIntegrationTest is StakingIntegrationBase {
    bytes32 internal constant COMMITTEE_SERVICE = keccak256("H264 1080p->360p reviewed");

    function setUp() public override {
        super.setUp();
        full.verifier.equivocation.setDeterministic(SERVICE, true);
        full.staking.serviceRegistry.setKnownService(SERVICE, address(full.verifier.equivocation), true);
        full.staking.serviceRegistry
            .setKnownService(COMMITTEE_SERVICE, address(full.verifier.committee), true);
        bytes32[] memory regions = new bytes32[](1);
        regions[0] = keccak256("EU");
        IServiceRegistry.Service[] memory services = new IServiceRegistry.Service[](2);
        services[0] = IServiceRegistry.Service({id: SERVICE, verifier: address(0)});
        services[1] = IServiceRegistry.Service({id: COMMITTEE_SERVICE, verifier: address(0)});
        vm.prank(orch);
        full.staking.serviceRegistry.register("https://orch.example", regions, services);
    }

    // ------------------------------------------------------------------ helpers

    function _receiptOf(uint256 i, bytes32 output, bytes32 service)
        internal
        view
        returns (SegmentReceipt.Receipt memory r)
    {
        r.broadcaster = sender;
        r.orchestrator = orch;
        r.streamId = keccak256(abi.encode("stream", i, output));
        r.seqNo = i;
        r.inputHash = keccak256(abi.encode("input", i));
        r.serviceId = service;
        r.renditions = new SegmentReceipt.Rendition[](1);
        r.renditions[0] =
            SegmentReceipt.Rendition({profile: PROFILE_720P, outputHash: output, pixels: 1280 * 720 * 60});
        r.ticket = SegmentReceipt.TicketParams({
            faceValue: 1 ether,
            winProb: type(uint256).max / 100,
            senderNonce: i,
            recipientRandHash: keccak256("rand"),
            creationRound: _round()
        });
    }

    function _sign(SegmentReceipt.Receipt memory r) internal view returns (bytes memory) {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(orchKey, full.verifier.faultVerifier.receiptDigest(r));
        return abi.encodePacked(rr, s, v);
    }

    /// @dev `by` proves equivocation number `i` of the orchestrator (two conflicting receipts).
    function _reportEquivocation(address by, uint256 i) internal returns (uint256 id) {
        SegmentReceipt.Receipt memory r = _receiptOf(i, keccak256("good"), SERVICE);
        SegmentReceipt.Receipt memory other = _receiptOf(i, keccak256("forged"), SERVICE);
        bytes memory evidence = abi.encode(other, _sign(other), uint256(0), uint256(0));
        uint256 bond = full.verifier.faultVerifier.params().challengeBond;
        vm.deal(by, by.balance + bond);
        bytes memory sig = _sign(r);
        vm.prank(by);
        id = full.verifier.faultVerifier.openChallenge{value: bond}(r, sig, evidence);
    }

    /// @dev `by` opens a committee-reviewed challenge of the orchestrator's receipt number `i`.
    function _challengeCommittee(address by, uint256 i) internal returns (uint256 id) {
        SegmentReceipt.Receipt memory r = _receiptOf(i, keccak256("good"), COMMITTEE_SERVICE);
        uint256 bond = full.verifier.faultVerifier.params().challengeBond;
        vm.deal(by, by.balance + bond);
        bytes memory sig = _sign(r);
        vm.prank(by);
        id = full.verifier.faultVerifier.openChallenge{value: bond}(r, sig, "");
    }

    /// @dev LPT of `who`: stake (bonded) plus wallet.
    function _lpt(address who) internal view returns (uint256) {
        (, uint256 stake,) = full.staking.bondingManager.delegatorInfo(who);
        return stake + full.core.token.balanceOf(who);
    }

    // ------------------------------------------------------------------ Critical: self-reporting

    /// @dev The PoC: the orchestrator signs ten equivocations and reports them from ten sock puppets
    /// in one block. It used to collect the finder fee on the whole pool's penalty each time (+6,513
    /// LPT for it, -19,540 LPT for the delegator). Now the fee comes from its own penalty only and one
    /// slash covers the burst: it loses, the delegator loses one slash's share, never ten.
    function test_PoC_SelfReportingTenTimesNeverPays() public {
        address[] memory puppets = new address[](10);
        uint256 before = _lpt(orch);
        for (uint256 i; i < 10; ++i) {
            puppets[i] = makeAddr(string.concat("puppet", vm.toString(i)));
        }
        uint256 delegatorBefore = _lpt(delegator);
        for (uint256 i; i < 10; ++i) {
            _reportEquivocation(puppets[i], i + 1);
        }
        uint256 after_ = _lpt(orch);
        for (uint256 i; i < 10; ++i) {
            after_ += full.core.token.balanceOf(puppets[i]);
        }
        vm.assertLt(after_, before, "the orchestrator and its puppets together lose");
        // one slash of 10%: own 1,000 LPT, of which 500 come back as the finder fee
        assertApproxEqAbs(before - after_, SELF / 20, 2);
        vm.assertApproxEqAbs(delegatorBefore - _lpt(delegator), DELEGATED / 10, 2, "one slash, not ten");
        IFaultVerifier.Challenge memory c = full.verifier.faultVerifier.getChallenge(2);
        assertEq(uint256(c.status), uint256(IFaultVerifier.Status.Covered));
    }

    /// A fault on a receipt created after the last slash's round slashes again: the burst bound
    /// covers only receipts created up to the slash.
    function test_LaterFaultSlashesAgain() public {
        _reportEquivocation(challenger, 1);
        uint256 stake = full.staking.bondingManager.totalStakeOf(orch);
        _advance(1);
        uint256 id = _reportEquivocation(challenger, 2);
        assertEq(
            uint256(full.verifier.faultVerifier.getChallenge(id).status),
            uint256(IFaultVerifier.Status.Slashed)
        );
        assertApproxEqAbs(full.staking.bondingManager.totalStakeOf(orch), stake - stake / 10, 2);
    }

    // ------------------------------------------------------------------ High: the self-bond escapes

    /// The PoC's third path: an orchestrator without delegators unbonds everything in the round of its
    /// fault; `openChallenge` used to revert with `OrchestratorNotStaked` and the stake walked out.
    function test_PoC_ChallengeOpensAgainstTheSelfLockAlone() public {
        vm.prank(delegator);
        full.staking.bondingManager.unbond(DELEGATED);
        vm.prank(orch);
        uint256 lockId = full.staking.bondingManager.unbond(SELF);
        assertEq(full.staking.bondingManager.totalStakeOf(orch), 0);
        uint256 id = _reportEquivocation(challenger, 1);
        assertEq(
            uint256(full.verifier.faultVerifier.getChallenge(id).status),
            uint256(IFaultVerifier.Status.Slashed)
        );
        (, uint256 left,,) = full.staking.bondingManager.lockInfo(orch, lockId);
        assertEq(left, SELF - SELF / 10, "the lock was slashed");
        assertEq(full.core.token.balanceOf(challenger), SELF / 20, "finder fee: half the own penalty");
    }

    // ------------------------------------------------------------------ High: a free freeze

    /// The PoC: the orchestrator challenges its own honest receipts from a second account, one
    /// committee challenge after another (each ends without a decision), and announces a 100 %
    /// reward cut. Its delegator (75 % of the pool) used to be unable to leave (`StakeFrozen`) until
    /// the cut applied, and the puppet got every bond back. Now the delegator leaves at once and
    /// withdraws everything, and every challenge cost the puppet part of its bond, none of which
    /// reached the orchestrator.
    function test_PoC_NineChallengesCannotTrapDelegators() public {
        address puppet = makeAddr("puppet");
        IFaultVerifier fv = full.verifier.faultVerifier;
        uint256 bond = fv.params().challengeBond;
        uint256 id = _challengeCommittee(puppet, 1);
        assertEq(full.staking.bondingManager.orchestratorInfo(orch).freezeCount, 1);
        vm.prank(orch);
        full.staking.bondingManager.announceCuts(1_000_000, 0);
        uint256 effective = full.staking.bondingManager.orchestratorInfo(orch).cutEffectiveRound;
        vm.prank(delegator);
        uint256 lockId = full.staking.bondingManager.unbond(DELEGATED);
        (,, uint256 withdrawRound,) = full.staking.bondingManager.lockInfo(delegator, lockId);
        assertLe(withdrawRound, effective, "out before the new cut applies");
        for (uint256 i = 2; i <= 9; ++i) {
            _advance(3); // past the committee's verdict period: no decision
            fv.resolve(id);
            id = _challengeCommittee(puppet, i);
            assertEq(full.staking.bondingManager.orchestratorInfo(orch).freezeCount, 1, "still frozen");
        }
        assertGe(_round(), withdrawRound);
        vm.prank(delegator);
        full.staking.bondingManager.withdrawStake(lockId);
        assertEq(full.core.token.balanceOf(delegator), DELEGATED, "the delegator left with everything");
        // eight challenges settled: each burned 10 % of its bond; nothing was credited to the orchestrator
        assertEq(fv.creditOf(orch), 0);
        assertEq(fv.creditOf(puppet), 8 * (bond - bond / 10));
        assertEq(fv.burnedBonds(), 8 * (bond / 10));
    }

    /// A failed challenge burns the whole bond; the orchestrator is credited nothing.
    function test_NoFaultBurnsTheBond() public {
        (address member, uint256 memberKey) = makeAddrAndKey("member");
        full.verifier.committee.addMember(member);
        uint256 id = _challengeCommittee(challenger, 1);
        bytes[] memory sigs = new bytes[](1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(memberKey, full.verifier.committee.verdictDigest(id, false));
        sigs[0] = abi.encodePacked(r, s, v);
        full.verifier.committee.submitVerdict(id, false, sigs);
        full.verifier.faultVerifier.resolve(id);
        assertEq(full.verifier.faultVerifier.creditOf(orch), 0);
        assertEq(full.verifier.faultVerifier.creditOf(challenger), 0);
        assertEq(
            full.verifier.faultVerifier.burnedBonds(), full.verifier.faultVerifier.params().challengeBond
        );
    }
}
