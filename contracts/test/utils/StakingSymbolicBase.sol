// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingFixture} from "./StakingFixture.sol";

/// @notice Shared setup of the staking proofs (halmos): the real BondingManager behind its proxy,
/// driven only through its external API, as users, as the registered TicketBroker (`MockFeeVault`)
/// and as the registered FaultVerifier. One orchestrator (self-bonded) and one delegator.
/// @dev Nothing here reads the ledger's internals, so the proofs hold whatever the ledger's
/// bookkeeping (e.g. the "young stake" of review C-1): stake is left to mature for a full
/// `unbondingPeriod` before fees are credited, so a fee property can't pass by paying nobody.
abstract contract StakingSymbolicBase is StakingFixture {
    address internal constant ORCH = address(0x0AC1);
    address internal constant ALICE = address(0xA11CE);

    function setUp() public virtual {
        deployStaking();
        // Enough ETH in the fee vault for any uint96 fee credit.
        vm.deal(address(broker), type(uint96).max);
    }

    /// @dev ORCH self-bonds `self` and announces `feeShare` (alone, so from the next round), ALICE
    /// delegates `delegated` to it, then an unbonding period passes: both stakes are mature.
    function setUpPool(uint256 self, uint256 delegated, uint256 feeShare) internal {
        fundAndBond(ORCH, self, ORCH);
        vm.prank(ORCH);
        bm.announceCuts(0, feeShare);
        fundAndBond(ALICE, delegated, ORCH);
        advanceRounds(cfg.unbondingPeriod);
    }

    /// @dev Credits `amount` of fees of the current round to ORCH as the TicketBroker does on a
    /// winning ticket. A revert is a failure.
    function creditFees(uint256 amount) internal {
        try broker.credit(ORCH, amount, round()) {}
        catch {
            assert(false);
        }
    }

    /// @dev `who` claims its earnings and withdraws all its fees (ETH, paid by the broker); returns
    /// the ETH it received. Reverts are failures; afterwards nothing is left to withdraw.
    function withdrawAll(address who) internal returns (uint256 paid) {
        vm.prank(who);
        try bm.claimEarnings() {}
        catch {
            assert(false);
        }
        uint256 fees = feesOf(who);
        if (fees == 0) return 0;
        uint256 before = who.balance;
        vm.prank(who);
        try bm.withdrawFees(payable(who), fees) {}
        catch {
            assert(false);
        }
        paid = who.balance - before;
        assert(feesOf(who) == 0);
    }

    /// @dev `values[sel]` (`sel < values.length` assumed): a symbolic choice of a concrete value,
    /// one halmos path per value, so the arithmetic on each path is concrete.
    function pick(uint256 sel, uint256[] memory values) internal pure returns (uint256) {
        for (uint256 i; i < values.length; ++i) {
            if (sel == i) return values[i];
        }
        revert("pick: out of range");
    }
}
