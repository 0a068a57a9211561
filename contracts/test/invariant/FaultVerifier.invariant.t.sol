// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";
import {FaultVerifierHandler} from "./FaultVerifierHandler.sol";

/// @notice Fault verification's conservation laws, under random sequences of challenges, verdicts,
/// time, resolutions and withdrawals.
contract FaultVerifierInvariantTest is VerifierFixture {
    FaultVerifierHandler internal handler;
    uint256 internal constant ORCHESTRATORS = 3;
    mapping(address => uint256) internal initialStake;

    function setUp() public {
        deployVerifierProtocol();
        address[] memory os = new address[](ORCHESTRATORS);
        uint256[] memory keys = new uint256[](ORCHESTRATORS);
        os[0] = orchestrator;
        keys[0] = orchestratorKey;
        for (uint256 i = 1; i < ORCHESTRATORS; ++i) {
            (os[i], keys[i]) = makeAddrAndKey(string.concat("orchestrator", vm.toString(i)));
            _bond(os[i], os[i], (i + 1) * 5000 ether);
        }
        for (uint256 i; i < ORCHESTRATORS; ++i) {
            initialStake[os[i]] = staking.totalStakeOf(os[i]);
        }
        address[] memory cs = new address[](3);
        cs[0] = challenger;
        cs[1] = makeAddr("challenger1");
        cs[2] = makeAddr("challenger2");

        handler = new FaultVerifierHandler(
            FaultVerifierHandler.Config({
                fv: fv,
                committee: v.committee,
                staking: staking,
                token: d.token,
                rounds: d.rounds,
                committeeService: COMMITTEE_SERVICE,
                deterministicService: DETERMINISTIC_SERVICE
            }),
            os,
            keys,
            cs,
            memberKeys
        );
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = FaultVerifierHandler.openCommittee.selector;
        selectors[1] = FaultVerifierHandler.openEquivocation.selector;
        selectors[2] = FaultVerifierHandler.submitVerdict.selector;
        selectors[3] = FaultVerifierHandler.resolve.selector;
        selectors[4] = FaultVerifierHandler.advance.selector;
        selectors[5] = FaultVerifierHandler.withdraw.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev The handler reaches every outcome (so the invariants aren't vacuous).
    function test_HandlerReachesEveryOutcome() public {
        handler.openEquivocation(0, 0); // slashed at once
        handler.openCommittee(1, 1, false); // id 2
        handler.openCommittee(1, 2, true); // same segment: rejected
        handler.openCommittee(2, 2, false); // id 3
        handler.openCommittee(0, 0, false); // id 4
        handler.submitVerdict(1, true, 5); // id 2: fault
        handler.submitVerdict(2, false, 3); // id 3: no fault
        handler.submitVerdict(3, true, 2); // id 4: too few signatures, stays silent
        handler.resolve(1);
        handler.resolve(2);
        handler.advance(199);
        handler.resolve(3); // id 4: no decision
        handler.withdraw(0);
        handler.withdraw(5);
        assertEq(handler.ghostSlashCount(), 2);
        assertGt(handler.ghostBondsForfeited(), 0);
        assertEq(handler.ghostBondsRefunded(), 3 * BOND - BOND / 10); // no decision burns 10%
        assertEq(handler.ghostDoubleChallengesRejected(), 1);
        assertGt(handler.ghostBurned(), 0);
        assertGt(handler.ghostPaidToChallengers(), 0);
        assertGt(handler.ghostWithdrawn(), 0);
        assertEq(fv.pendingBonds(), 0);
        invariant_SlashedEqualsPaidPlusBurned();
        invariant_StakeLostOnlyToSlashes();
        invariant_NoSegmentSlashedTwice();
        invariant_EveryBondAccountedFor();
        invariant_FrozenWhilePending();
    }

    /// @dev Every LPT slashed was either paid to a challenger or burned.
    function invariant_SlashedEqualsPaidPlusBurned() public view {
        assertEq(handler.ghostSlashed(), handler.ghostPaidToChallengers() + handler.ghostBurned());
    }

    /// @dev The stake that disappeared is exactly what was slashed, and staking holds the rest.
    function invariant_StakeLostOnlyToSlashes() public view {
        uint256 lost;
        uint256 remaining;
        for (uint256 i; i < handler.orchestratorCount(); ++i) {
            address o = handler.orchestrators(i);
            lost += initialStake[o] - staking.totalStakeOf(o);
            remaining += staking.totalStakeOf(o);
        }
        assertEq(lost, handler.ghostSlashed());
        assertEq(d.token.balanceOf(address(staking)), remaining);
    }

    /// @dev At most one slash per burst: no fault on a receipt created at or before the round of its
    /// orchestrator's last slash slashes again.
    function invariant_AtMostOneSlashPerBurst() public view {
        assertEq(handler.ghostSlashesInsideBurst(), 0);
    }

    /// @dev No segment is slashed twice, and each slash is one Slashed challenge.
    function invariant_NoSegmentSlashedTwice() public view {
        assertLe(handler.ghostMaxSlashesPerSegment(), 1);
        uint256 slashedChallenges;
        for (uint256 i; i < handler.challengeCount(); ++i) {
            uint256 id = handler.challengeIds(i);
            if (fv.getChallenge(id).status == IFaultVerifier.Status.Slashed) ++slashedChallenges;
        }
        assertEq(slashedChallenges, handler.ghostSlashCount());
    }

    /// @dev Every bond is refunded, burned (forfeited) or still pending, and the ETH is all there. No
    /// orchestrator is ever credited a bond (a challenge it arranged itself would then be free).
    function invariant_EveryBondAccountedFor() public view {
        uint256 pending;
        for (uint256 i; i < handler.challengeCount(); ++i) {
            IFaultVerifier.Challenge memory c = fv.getChallenge(handler.challengeIds(i));
            if (c.status == IFaultVerifier.Status.Pending) pending += c.bond;
        }
        assertEq(fv.pendingBonds(), pending, "pending sum");
        assertEq(
            handler.ghostBondsPosted(),
            handler.ghostBondsRefunded() + handler.ghostBondsForfeited() + pending,
            "posted = refunded + forfeited + pending"
        );
        uint256 credits;
        for (uint256 i; i < handler.challengerCount(); ++i) {
            credits += fv.creditOf(handler.challengers(i));
        }
        for (uint256 i; i < handler.orchestratorCount(); ++i) {
            credits += fv.creditOf(handler.orchestrators(i));
        }
        for (uint256 i; i < handler.orchestratorCount(); ++i) {
            assertEq(fv.creditOf(handler.orchestrators(i)), 0, "no bond reaches an orchestrator");
        }
        assertEq(
            handler.ghostBondsRefunded(),
            credits + handler.ghostWithdrawn(),
            "refunded = credited + withdrawn"
        );
        assertEq(fv.burnedBonds(), handler.ghostBondsForfeited(), "forfeited = burned");
        assertEq(address(fv).balance, pending + credits + fv.burnedBonds(), "ETH held");
    }

    /// @dev An orchestrator's stake is frozen exactly once per pending challenge against it.
    function invariant_FrozenWhilePending() public view {
        for (uint256 o; o < handler.orchestratorCount(); ++o) {
            address orch = handler.orchestrators(o);
            uint256 pendingAgainst;
            for (uint256 i; i < handler.challengeCount(); ++i) {
                IFaultVerifier.Challenge memory c = fv.getChallenge(handler.challengeIds(i));
                if (c.orchestrator == orch && c.status == IFaultVerifier.Status.Pending) ++pendingAgainst;
            }
            assertEq(staking.freezes(orch), pendingAgainst);
        }
    }
}
