// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IControlled} from "../../src/interfaces/IControlled.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice The cheap redemption path: the TicketBroker keeps a ticket's fees and only notes them
/// (`noteFees`); the BondingManager takes and credits them, as of their creation round, at the next
/// touch of the pool — before any stake moves, so holding fees can't move them to other delegators.
/// `MockFeeVault.hold` does what a redemption does.
contract BondingManagerFeeHandoverTest is StakingFixture {
    uint256 internal constant SELF = 10_000 ether;

    address internal orch;
    address internal alice;
    address internal stranger;

    function setUp() public {
        deployStaking();
        orch = makeAddr("orch");
        alice = makeAddr("alice");
        stranger = makeAddr("stranger");
        fundAndBond(orch, SELF, orch);
        vm.prank(orch);
        bm.announceCuts(100_000, 500_000); // shares 50% of fees with the pool
        fundAndBond(alice, SELF, orch); // half of the pool
        // Past an unbonding period: the cuts apply and every stake is settled in.
        advanceRounds(cfg.unbondingPeriod + 1);
    }

    /// @dev What crediting `amount` at once would give each (the reference), then restores the state.
    function _honest(uint256 amount, uint256 creationRound)
        internal
        returns (uint256 orchFees, uint256 aliceFees)
    {
        uint256 snap = vm.snapshotState();
        broker.credit(orch, amount, creationRound);
        orchFees = feesOf(orch);
        aliceFees = feesOf(alice);
        vm.revertToState(snap);
    }

    function test_NoteFeesOnlyTicketBroker() public {
        uint256 r = round();
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, stranger, ContractIds.TICKET_BROKER
            )
        );
        vm.prank(stranger);
        bm.noteFees(orch, r, false);
    }

    function test_NoteFeesAnswersActivityOfTheCreationRound() public {
        uint256 r = round();
        vm.startPrank(address(broker));
        assertTrue(bm.noteFees(orch, r, false));
        assertFalse(bm.noteFees(stranger, r, false), "not an orchestrator");
        assertFalse(bm.noteFees(orch, 0, false), "before it bonded");
        vm.stopPrank();
        // an orchestrator that just bonded is active from the next round only
        address late = makeAddr("late");
        fundAndBond(late, SELF, late);
        vm.prank(address(broker));
        assertFalse(bm.noteFees(late, r, false));
        nextRound();
        r = round();
        vm.prank(address(broker));
        assertTrue(bm.noteFees(late, r, false));
    }

    function test_InactiveRecipientGetsNothingNoted() public {
        uint256 r = round();
        vm.expectRevert(bytes("MockFeeVault: not active"));
        broker.hold(stranger, 1 ether, r);
    }

    function test_HeldFeesAreCreditedAtTheNextTouch() public {
        uint256 r = round();
        (uint256 honestOrch, uint256 honestAlice) = _honest(1 ether, r);
        broker.hold(orch, 1 ether, r);
        assertEq(feesOf(alice), 0, "held by the broker until the pool is touched");
        assertEq(feesOf(orch), 0);
        bm.checkpoint(orch);
        assertEq(feesOf(alice), honestAlice);
        assertEq(feesOf(orch), honestOrch);
        assertApproxEqAbs(honestAlice, 0.25 ether, 10);
        // taken once: another touch credits nothing more
        bm.checkpoint(orch);
        assertEq(feesOf(alice), honestAlice);
    }

    /// @dev The fee-theft attack with held fees: the orchestrator redeems, the broker holds the fees,
    /// alice leaves; her unbond touches the pool first, so she keeps her full share.
    function test_FeeTheft_HeldFeesAreCollectedBeforeADelegatorLeaves() public {
        uint256 r = round();
        (, uint256 honestAlice) = _honest(1 ether, r);
        broker.hold(orch, 1 ether, r);
        vm.prank(alice);
        bm.unbond(SELF);
        assertEq(feesOf(alice), honestAlice);
        assertApproxEqAbs(honestAlice, 0.25 ether, 10);
    }

    /// @dev Fees held across a cut change are split by the fee share of their creation round.
    function test_HeldFeesUseTheFeeShareOfTheirCreationRound() public {
        uint256 r = round();
        (uint256 honestOrch, uint256 honestAlice) = _honest(1 ether, r);
        broker.hold(orch, 1 ether, r);
        vm.prank(orch);
        bm.announceCuts(100_000, 0); // keep every fee from now on... in an unbonding period
        advanceRounds(cfg.unbondingPeriod);
        assertEq(bm.orchestratorInfo(orch).feeShare, 0);
        vm.prank(alice);
        bm.claimEarnings();
        assertEq(feesOf(alice), honestAlice);
        assertEq(feesOf(orch), honestOrch);
    }

    /// @dev Just-in-time stake with held fees: a sybil bonds after the tickets were created, the fees
    /// are held and nobody touches the pool until the sybil's stake has matured. The late touch still
    /// credits the fees over the pool as it was for those tickets: the sybil gets nothing.
    function test_StakeThatEnteredAfterCreationSharesNoHeldFeesHoweverLateTheTouch() public {
        uint256 c = round();
        (uint256 honestOrch, uint256 honestAlice) = _honest(1 ether, c);
        address sybil = makeAddr("sybil");
        fundAndBond(sybil, 10 * SELF, orch);
        broker.hold(orch, 1 ether, c);
        advanceRounds(cfg.unbondingPeriod + 3);
        bm.checkpoint(orch);
        assertEq(feesOf(sybil), 0, "entered after the tickets were created");
        assertEq(feesOf(alice), honestAlice);
        assertEq(feesOf(orch), honestOrch);
    }

    /// @dev A delegator that left in the tickets' creation round keeps its share of held fees even
    /// when the pool's next touch is its own withdrawal, after its fee tail's exit round.
    function test_LateTouchKeepsTheTailOfStakeThatLeftAfterCreation() public {
        uint256 c = round();
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        uint256 snap = vm.snapshotState();
        broker.credit(orch, 1 ether, c);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        uint256 honestAlice = feesOf(alice);
        vm.revertToState(snap);

        broker.hold(orch, 1 ether, c);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(lockId); // the first touch since: takes the held fees, then ends the tail
        assertEq(feesOf(alice), honestAlice);
        assertApproxEqAbs(honestAlice, 0.25 ether, 10);
    }

    /// @dev Two creation rounds are held; a third has the broker ask for the first two to be taken.
    function test_CollectFirstCreditsWhatIsHeld() public {
        uint256 r1 = round();
        broker.hold(orch, 1 ether, r1);
        nextRound();
        broker.hold(orch, 2 ether, round());
        nextRound();
        broker.hold(orch, 4 ether, round()); // full: the first two are collected now
        uint256 credited = feesOf(orch) + feesOf(alice);
        assertApproxEqAbs(credited, 3 ether, 10);
        bm.checkpoint(orch);
        assertApproxEqAbs(feesOf(orch) + feesOf(alice), 7 ether, 10);
    }

    /// @dev A slash settles held fees into the pool as it was before the cut.
    function test_SlashCollectsHeldFeesFirst() public {
        uint256 r = round();
        (, uint256 honestAlice) = _honest(1 ether, r);
        broker.hold(orch, 1 ether, r);
        vm.prank(faultVerifier);
        bm.slash(orch, 500_000, address(0), 0);
        assertEq(feesOf(alice), honestAlice);
    }
}
