// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IRoundsManager} from "../../src/interfaces/IRoundsManager.sol";
import {Deployers} from "../utils/Deployers.sol";

contract RoundsManagerTest is Deployers {
    event RoundInitialized(uint256 indexed round, bytes32 blockHash);
    event RoundLengthUpdated(uint256 roundLength, uint256 effectiveRound, uint256 effectiveBlock);

    uint256 internal genesisBlock;

    function setUp() public {
        deployProtocol();
        genesisBlock = block.number;
    }

    function test_RoundOneStartsAtDeployment() public view {
        assertEq(d.rounds.currentRound(), 1);
        assertEq(d.rounds.currentRoundStartBlock(), genesisBlock);
        assertEq(d.rounds.roundLength(), ROUND_LENGTH);
        assertFalse(d.rounds.currentRoundInitialized());
        assertEq(d.rounds.lastInitializedRound(), 0);
    }

    function test_RoundsAdvanceEveryRoundLengthBlocks() public {
        vm.roll(genesisBlock + ROUND_LENGTH - 1);
        assertEq(d.rounds.currentRound(), 1);
        vm.roll(genesisBlock + ROUND_LENGTH);
        assertEq(d.rounds.currentRound(), 2);
        assertEq(d.rounds.currentRoundStartBlock(), genesisBlock + ROUND_LENGTH);
        vm.roll(genesisBlock + 10 * ROUND_LENGTH + 7);
        assertEq(d.rounds.currentRound(), 11);
    }

    function test_InitializeRoundRecordsBlockHash() public {
        vm.roll(genesisBlock + 3);
        bytes32 expected = blockhash(block.number - 1);
        vm.expectEmit(address(d.rounds));
        emit RoundInitialized(1, expected);
        d.rounds.initializeRound();
        assertTrue(d.rounds.currentRoundInitialized());
        assertEq(d.rounds.lastInitializedRound(), 1);
        assertEq(d.rounds.blockHashForRound(1), expected);
        assertEq(d.rounds.blockHashForRound(2), bytes32(0));
    }

    function test_AnyoneMayInitialize() public {
        vm.prank(makeAddr("anyone"));
        d.rounds.initializeRound();
        assertTrue(d.rounds.currentRoundInitialized());
    }

    function test_SkippedRoundsStayUninitialized() public {
        d.rounds.initializeRound();
        vm.roll(genesisBlock + 5 * ROUND_LENGTH);
        d.rounds.initializeRound();
        assertEq(d.rounds.lastInitializedRound(), 6);
        assertEq(d.rounds.blockHashForRound(3), bytes32(0));
    }

    function test_RevertWhen_InitializeRoundTwice() public {
        d.rounds.initializeRound();
        vm.expectRevert(abi.encodeWithSelector(IRoundsManager.RoundAlreadyInitialized.selector, 1));
        d.rounds.initializeRound();
    }

    function test_RevertWhen_InitializeRoundWhilePaused() public {
        d.controller.pause();
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        d.rounds.initializeRound();
    }

    function test_SetRoundLengthAppliesFromNextRound() public {
        vm.roll(genesisBlock + 2 * ROUND_LENGTH + 10); // round 3, 10 blocks in
        uint256 nextStart = genesisBlock + 3 * ROUND_LENGTH;
        vm.expectEmit(address(d.rounds));
        emit RoundLengthUpdated(20, 4, nextStart);
        d.rounds.setRoundLength(20);

        // Round 3 keeps its old length.
        assertEq(d.rounds.currentRound(), 3);
        assertEq(d.rounds.roundLength(), ROUND_LENGTH);
        vm.roll(nextStart - 1);
        assertEq(d.rounds.currentRound(), 3);
        // Round 4 starts on time and is short.
        vm.roll(nextStart);
        assertEq(d.rounds.currentRound(), 4);
        assertEq(d.rounds.roundLength(), 20);
        vm.roll(nextStart + 20);
        assertEq(d.rounds.currentRound(), 5);
        assertEq(d.rounds.currentRoundStartBlock(), nextStart + 20);
    }

    function test_SetRoundLengthTwiceInARoundKeepsTheLast() public {
        d.rounds.setRoundLength(10);
        d.rounds.setRoundLength(100);
        vm.roll(genesisBlock + ROUND_LENGTH);
        assertEq(d.rounds.currentRound(), 2);
        assertEq(d.rounds.roundLength(), 100);
        vm.roll(genesisBlock + ROUND_LENGTH + 99);
        assertEq(d.rounds.currentRound(), 2);
    }

    function test_RevertWhen_SetRoundLengthByStranger() public {
        address stranger = makeAddr("stranger");
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, stranger));
        vm.prank(stranger);
        d.rounds.setRoundLength(10);
    }

    function test_RevertWhen_SetRoundLengthInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IRoundsManager.InvalidRoundLength.selector, 0));
        d.rounds.setRoundLength(0);
        uint256 tooLong = d.rounds.MAX_ROUND_LENGTH() + 1;
        vm.expectRevert(abi.encodeWithSelector(IRoundsManager.InvalidRoundLength.selector, tooLong));
        d.rounds.setRoundLength(tooLong);
    }

    /// @dev Through any sequence of length changes, round numbers never go back and never skip:
    /// walking block by block, each step changes the round by 0 or 1.
    function testFuzz_RoundLengthChangesNeverBreakNumbering(uint256 seed) public {
        uint256 round = d.rounds.currentRound();
        uint256 blockNumber = block.number;
        for (uint256 step = 0; step < 6; step++) {
            uint256 newLength = bound(uint256(keccak256(abi.encode(seed, step))), 1, 40);
            d.rounds.setRoundLength(newLength);
            uint256 walk = bound(uint256(keccak256(abi.encode(seed, step, "walk"))), 1, 90);
            for (uint256 i = 0; i < walk; i++) {
                vm.roll(++blockNumber);
                uint256 next = d.rounds.currentRound();
                assertTrue(next == round || next == round + 1, "round moved by more than one");
                if (next == round + 1) assertEq(d.rounds.currentRoundStartBlock(), blockNumber);
                // the one-call view agrees with the others (what the round caches rely on)
                (uint256 r, uint256 end) = d.rounds.currentRoundAndEnd();
                assertEq(r, next);
                assertEq(end, d.rounds.currentRoundStartBlock() + d.rounds.roundLength());
                assertGt(end, blockNumber);
                round = next;
            }
        }
    }
}
