// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice Partial slashes never move fees of earlier tickets: fees of tickets created in round `c`
/// are split as of round `c` whatever any slash did to the pool since (one or many, before or after
/// delegators left). A slash scales the fee weight of the pool's fee tails like its bonded stake
/// (docs/staking.md, "Slashes and fee tails").
contract BondingManagerPartialSlashFeesTest is StakingFixture {
    uint256 internal constant SELF = 10_000 ether;
    uint256 internal constant FEES = 1 ether;
    /// @dev Tolerance of a split: the tail factor's precision (1e-14 per slash) on 1 ETH, plus rounding.
    uint256 internal constant TOLERANCE = 1e6;

    address internal orch;
    address[3] internal dels;

    function setUp() public {
        deployStaking();
        orch = makeAddr("orch");
        dels = [makeAddr("alice"), makeAddr("bob"), makeAddr("carol")];
    }

    /// @dev Review (Low, still open after the wipe fix): a ticket in round `c`, alice leaves in `c`,
    /// a 10 % slash in `c + 1`, the redemption in `c + 2`. Alice's tail kept its full weight while the
    /// stayers' stake shrank: she got 10/37 of the pool's half instead of 10/40, taken from bob, carol
    /// and the orchestrator.
    function test_PoC_PartialSlashMovesNoFeesOfEarlierTicketsToLeavers() public {
        _pool([SELF, SELF, SELF], 500_000);
        uint256 c = round();
        uint256[4] memory honest = _creditNow(c);
        _unbondAll(dels[0]);
        nextRound();
        _slash(100_000);
        nextRound();
        broker.hold(orch, FEES, c);
        bm.checkpoint(orch);
        uint256[4] memory got = _collect(1);
        assertApproxEqAbs(honest[1], FEES / 8, 10); // a quarter of the pool's half
        for (uint256 i; i < 4; ++i) {
            vm.assertApproxEqAbs(got[i], honest[i], TOLERANCE, "split as of the creation round");
        }
    }

    /// @dev The reverse order: the slash first, then alice leaves, then a second slash. Her tail
    /// (of her slashed stake) must keep sharing as of `c` through the second slash too.
    function test_PoC_SlashesBeforeAndAfterALeaverKeepTheSplit() public {
        _pool([SELF, 2 * SELF, SELF], 500_000);
        uint256 c = round();
        uint256[4] memory honest = _creditNow(c);
        _slash(250_000);
        nextRound();
        _unbondAll(dels[0]);
        _slash(500_000);
        nextRound();
        broker.hold(orch, FEES, c);
        bm.checkpoint(orch);
        uint256[4] memory got = _collect(1);
        for (uint256 i; i < 4; ++i) {
            vm.assertApproxEqAbs(got[i], honest[i], TOLERANCE, "split as of the creation round");
        }
    }

    /// @dev The orchestrator's own unbonding lock is cut by each slash (review H-4): its fee weight
    /// shrinks with the pool like every tail and once more with its tokens. Its delegators never get
    /// less than their share as of the creation round, and nobody gets more than the fees.
    function test_SlashedSelfLockNeverTakesDelegatorsShare() public {
        _pool([SELF, SELF, SELF], 500_000);
        uint256 c = round();
        uint256[4] memory honest = _creditNow(c);
        vm.prank(orch);
        bm.unbond(SELF / 2);
        _unbondAll(dels[1]);
        nextRound();
        _slash(100_000);
        nextRound();
        broker.hold(orch, FEES, c);
        bm.checkpoint(orch);
        uint256[4] memory got = _collect(2);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(orch);
        bm.withdrawStake(0);
        got[0] = feesOf(orch);
        for (uint256 i = 1; i < 4; ++i) {
            assertGe(got[i] + TOLERANCE, honest[i], "a delegator keeps its share");
        }
        assertLe(got[0], honest[0], "the faulty orchestrator gains nothing");
        assertLe(got[0] + got[1] + got[2] + got[3], FEES, "never more than the fees");
    }

    /// @dev Fuzz over stake splits, fee shares, one to three partial slashes of any fraction, which
    /// delegators leave, when (in or after the creation round, before or after each slash in the
    /// same round), when the tickets are redeemed (within the validity period) and how late the pool
    /// is touched: everyone gets what crediting in the creation round gives it.
    function testFuzz_PartialSlashesKeepTheCreationRoundSplit(
        uint256[3] memory stakes,
        uint256 feeShare,
        uint256[3] memory fractions,
        uint256 slashCount,
        uint256 seed,
        uint8 leavers,
        bool slashFirst
    ) public {
        for (uint256 i; i < 3; ++i) {
            stakes[i] = bound(stakes[i], 1 ether, 1_000_000 ether);
            fractions[i] = bound(fractions[i], 1, 900_000);
        }
        feeShare = bound(feeShare, 0, 1_000_000);
        slashCount = bound(slashCount, 1, 3);
        leavers = uint8(bound(leavers, 0, 7));
        uint256 window = cfg.unbondingPeriod - 1;
        uint256[3] memory leaveAt;
        uint256[3] memory slashAt;
        for (uint256 i; i < 3; ++i) {
            leaveAt[i] = uint256(keccak256(abi.encode(seed, "leave", i))) % (window + 1);
            slashAt[i] = uint256(keccak256(abi.encode(seed, "slash", i))) % (window + 1);
        }
        uint256 holdAt = uint256(keccak256(abi.encode(seed, "hold"))) % (broker.ticketValidityPeriod() + 1);
        uint256 touchAfter = uint256(keccak256(abi.encode(seed, "touch"))) % 20;

        _pool(stakes, feeShare);
        uint256 c = round();
        uint256[4] memory honest = _creditNow(c);
        for (uint256 r; r <= window; ++r) {
            if (slashFirst) _slashesAt(r, slashAt, fractions, slashCount);
            for (uint256 i; i < 3; ++i) {
                if ((leavers >> i) & 1 != 0 && leaveAt[i] == r) _unbondAll(dels[i]);
            }
            if (!slashFirst) _slashesAt(r, slashAt, fractions, slashCount);
            if (r == holdAt) broker.hold(orch, FEES, c);
            nextRound();
        }
        advanceRounds(touchAfter);
        bm.checkpoint(orch);
        uint256[4] memory got = _collect(leavers);
        uint256 total;
        for (uint256 i; i < 4; ++i) {
            vm.assertApproxEqAbs(got[i], honest[i], TOLERANCE, "split as of the creation round");
            total += got[i];
        }
        assertLe(total, FEES, "never more than the fees");
    }

    // ------------------------------------------------------------------ helpers

    /// @dev A fresh pool: the orchestrator with `SELF`, the three delegators with `stakes`, a fee
    /// share of `feeShare`, everything mature.
    function _pool(uint256[3] memory stakes, uint256 feeShare) internal {
        fundAndBond(orch, SELF, orch);
        vm.prank(orch);
        bm.announceCuts(0, feeShare);
        for (uint256 i; i < 3; ++i) {
            fundAndBond(dels[i], stakes[i], orch);
        }
        advanceRounds(cfg.unbondingPeriod + 1);
    }

    /// @dev What crediting `FEES` of round `c` now gives each (the reference), reverted.
    function _creditNow(uint256 c) internal returns (uint256[4] memory honest) {
        uint256 snap = vm.snapshotState();
        broker.credit(orch, FEES, c);
        honest = _feesAll();
        vm.revertToState(snap);
    }

    function _slashesAt(uint256 r, uint256[3] memory at, uint256[3] memory fractions, uint256 count)
        internal
    {
        for (uint256 k; k < count; ++k) {
            if (at[k] == r) _slash(fractions[k]);
        }
    }

    function _slash(uint256 fractionPpm) internal {
        vm.prank(faultVerifier);
        bm.slash(orch, fractionPpm, address(0), 0);
    }

    function _unbondAll(address who) internal {
        uint256 stake = stakeOf(who);
        vm.prank(who);
        bm.unbond(stake);
    }

    /// @dev Everyone's fees once every tail exited: stayers claim, leavers (bit `i` of `leavers`)
    /// withdraw their first lock.
    function _collect(uint256 leavers) internal returns (uint256[4] memory got) {
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(orch);
        bm.claimEarnings();
        for (uint256 i; i < 3; ++i) {
            vm.prank(dels[i]);
            if ((leavers >> i) & 1 != 0) bm.withdrawStake(0);
            else bm.claimEarnings();
        }
        got = _feesAll();
    }

    function _feesAll() internal view returns (uint256[4] memory out) {
        out[0] = feesOf(orch);
        for (uint256 i; i < 3; ++i) {
            out[i + 1] = feesOf(dels[i]);
        }
    }
}
