// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice Stake that joins a pool after its tickets were created shares none of their fees, for
/// every unbonding period, maturity period and ticket validity governance can set (review C-1b;
/// why the ticket validity bounds the maturity period from below: docs/staking.md, "Young stake").
contract BondingManagerLateJoinerTest is StakingFixture {
    uint256 internal constant SELF = 10_000 ether;
    uint256 internal constant FEES = 1 ether;

    struct Case {
        uint256 period;
        uint256 maturity;
        uint256 validity;
        uint256 k;
        uint256 j;
        uint256 touchAfter;
        bool held;
        bool redelegating;
        uint256 attackStake;
    }

    address internal orch = makeAddr("orch");
    address internal bob = makeAddr("bob");
    address internal attacker = makeAddr("attacker");

    function setUp() public {
        deployStaking();
    }

    /// @dev Fuzz: unbonding period `U` (2..30), maturity `M` (1..U), validity `V` (1..M), an
    /// attacker that bonds fresh
    /// stake or redelegates mature stake from another pool `k` rounds after the tickets' creation
    /// round, the redemption `j ≥ k` rounds after it (within the validity), credited at once or held
    /// and collected up to 20 rounds late. The attacker gets nothing; the honest delegator gets what
    /// an immediate credit in the creation round gives it.
    function testFuzz_StakeJoiningAfterCreationGainsNothing(Case memory x) public {
        x.period = bound(x.period, 2, 30);
        x.maturity = bound(x.maturity, 1, x.period);
        x.validity = bound(x.validity, 1, x.maturity);
        x.k = bound(x.k, 0, x.validity - 1);
        x.j = bound(x.j, x.k, x.validity - 1);
        x.touchAfter = bound(x.touchAfter, 0, 20);
        x.attackStake = bound(x.attackStake, 1 ether, 1_000_000 ether);
        // governance's order: validity <= maturity <= unbonding, each maturity change run to its end
        broker.setTicketValidityPeriod(1);
        bm.setUnbondingPeriod(x.period); // sets the maturity period too (it followed the old one)
        advanceRounds(30); // a change of it runs at most 30 rounds
        if (x.maturity != x.period) bm.setMaturityPeriod(x.maturity);
        advanceRounds(30);
        broker.setTicketValidityPeriod(x.validity);
        _pools(x);

        uint256 c = round();
        uint256 snap = vm.snapshotState();
        broker.credit(orch, FEES, c);
        uint256 honestBob = feesOf(bob);
        uint256 honestOrch = feesOf(orch);
        vm.revertToState(snap);

        advanceRounds(x.k);
        vm.prank(attacker);
        if (x.redelegating) bm.redelegate(orch);
        else bm.bond(x.attackStake, orch);
        advanceRounds(x.j - x.k);
        if (x.held) {
            broker.hold(orch, FEES, c);
            advanceRounds(x.touchAfter);
            bm.checkpoint(orch);
        } else {
            broker.credit(orch, FEES, c);
        }
        advanceRounds(x.period + 1);
        address[3] memory who = [attacker, bob, orch];
        for (uint256 i; i < 3; ++i) {
            vm.prank(who[i]);
            bm.claimEarnings();
        }
        if (x.redelegating) {
            vm.prank(attacker);
            bm.withdrawStake(0); // its fee-only tail in the other pool (which had no fees)
        }
        assertEq(feesOf(attacker), 0, "the late joiner gets nothing");
        vm.assertApproxEqAbs(feesOf(bob), honestBob, 10, "bob keeps his share");
        vm.assertApproxEqAbs(feesOf(orch), honestOrch, 10, "the orchestrator gets its cut and share");
    }

    /// @dev orch (sharing half its fees) with bob, and another pool the attacker is mature in when it
    /// redelegates (else its LPT is liquid); every stake mature.
    function _pools(Case memory x) internal {
        address other = makeAddr("other");
        fundAndBond(orch, SELF, orch);
        vm.prank(orch);
        bm.announceCuts(0, 500_000);
        fundAndBond(bob, SELF, orch);
        fundAndBond(other, SELF, other);
        if (x.redelegating) fundAndBond(attacker, x.attackStake, other);
        else fund(attacker, x.attackStake);
        advanceRounds(x.period + 1);
    }
}
