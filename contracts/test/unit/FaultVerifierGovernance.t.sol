// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FaultVerifier} from "../../src/FaultVerifier.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {CommitteeVerifier} from "../../src/verifiers/CommitteeVerifier.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";

contract FaultVerifierGovernanceTest is VerifierFixture {
    function setUp() public {
        deployVerifierProtocol();
    }

    function test_SetParams() public {
        IFaultVerifier.Params memory p = IFaultVerifier.Params({
            challengeWindowRounds: 6,
            challengeBond: 1 ether,
            slashFractionPpm: 1_000_000,
            finderFeePpm: 999_999
        });
        vm.expectEmit(address(fv));
        emit IFaultVerifier.ParamsUpdated(p);
        fv.setParams(p);
        assertEq(fv.params().challengeBond, 1 ether);
    }

    function test_RevertWhen_ChallengeWindowNotShorterThanUnbonding() public {
        IFaultVerifier.Params memory p = defaultParams();
        p.challengeWindowRounds = WINDOW + 2; // == UNBONDING_PERIOD
        vm.expectRevert(
            abi.encodeWithSelector(
                IFaultVerifier.ChallengeWindowTooLong.selector, UNBONDING_PERIOD, UNBONDING_PERIOD
            )
        );
        fv.setParams(p);
    }

    function test_RevertWhen_ParamsOutOfRange() public {
        IFaultVerifier.Params memory p = defaultParams();
        p.finderFeePpm = 1_000_000; // self-reporting would be free
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.InvalidParams.selector, p));
        fv.setParams(p);
        p = defaultParams();
        p.finderFeePpm = 99_999; // not a substantial share
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.InvalidParams.selector, p));
        fv.setParams(p);
        p = defaultParams();
        p.slashFractionPpm = 1_000_001;
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.InvalidParams.selector, p));
        fv.setParams(p);
        p = defaultParams();
        p.challengeBond = 0;
        vm.expectRevert(abi.encodeWithSelector(IFaultVerifier.InvalidParams.selector, p));
        fv.setParams(p);
    }

    function test_RevertWhen_NotGovernance() public {
        IFaultVerifier.Params memory p = defaultParams();
        vm.startPrank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, challenger));
        fv.setParams(p);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, challenger));
        fv.setVerifierApproval(challenger, true);
        vm.stopPrank();
    }

    function test_RevokedVerifierStillDecidesItsOpenChallenges() public {
        (uint256 id,) = _openCommittee(1);
        fv.setVerifierApproval(address(v.committee), false);
        v.committee.submitVerdict(id, true, _verdictSignatures(id, true, THRESHOLD));
        fv.resolve(id);
        assertEq(uint256(fv.getChallenge(id).status), uint256(IFaultVerifier.Status.Slashed));
    }

    /// @dev A logic upgrade keeps challenges, credits, parameters, members and open reviews.
    function test_UpgradeKeepsState() public {
        (uint256 id,) = _openCommittee(1);
        IController c = IController(address(d.controller));
        d.controller.upgradeProxy(address(fv), address(new FaultVerifier(c)), "");
        d.controller.upgradeProxy(address(v.committee), address(new CommitteeVerifier(c)), "");
        assertEq(fv.challengeCount(), 1);
        assertEq(fv.pendingBonds(), BOND);
        assertEq(fv.params().challengeBond, BOND);
        assertEq(v.committee.memberCount(), COMMITTEE_SIZE);
        v.committee.submitVerdict(id, true, _verdictSignatures(id, true, THRESHOLD));
        fv.resolve(id);
        assertEq(uint256(fv.getChallenge(id).status), uint256(IFaultVerifier.Status.Slashed));
    }
}
