// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Minter} from "../../src/Minter.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IMinter} from "../../src/interfaces/IMinter.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {ControlledProxy} from "../../src/proxy/ControlledProxy.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice The Minter on its own: this test contract stands in for the BondingManager.
contract MinterTest is StakingFixture {
    uint256 internal constant PPB = 1_000_000_000;

    function setUp() public {
        deployStaking();
        d.controller.setContract(ContractIds.BONDING_MANAGER, address(this));
    }

    function test_Initialize() public view {
        assertEq(minter.inflation(), cfg.inflation);
        assertEq(minter.inflationChange(), cfg.inflationChange);
        assertEq(minter.targetBondingRate(), cfg.targetBondingRate);
        assertEq(minter.lastRound(), 0);
    }

    function test_RevertWhen_InitializeInvalidRate() public {
        Minter impl = new Minter(IController(address(d.controller)));
        vm.expectRevert(abi.encodeWithSelector(IMinter.InvalidRate.selector, PPB + 1));
        new ControlledProxy(
            address(d.controller), address(impl), abi.encodeCall(Minter.initialize, (PPB + 1, 0, 0))
        );
    }

    function test_CreateReward_MintsShareOfRound() public {
        uint256 supply = d.token.totalSupply();
        // Bonding rate 10% < target 50%: inflation steps up once.
        uint256 inflation = cfg.inflation + cfg.inflationChange;
        uint256 mintable = supply * inflation / PPB;
        vm.expectEmit(address(minter));
        emit IMinter.RoundMintSet(round(), inflation, mintable);
        uint256 minted = minter.createReward(supply / 40, supply / 10);
        assertEq(minted, mintable / 4);
        assertEq(d.token.balanceOf(address(this)), GENESIS_SUPPLY + minted);
        (uint256 m, uint256 done) = minter.roundMint();
        assertEq(m, mintable);
        assertEq(done, minted);
        assertEq(minter.inflation(), inflation);
        assertEq(minter.lastRound(), round());
    }

    function test_CreateReward_NeverMintsMoreThanTheRound() public {
        uint256 total = 1000 ether;
        uint256 a = minter.createReward(total, total);
        uint256 b = minter.createReward(total, total);
        (uint256 mintable, uint256 minted) = minter.roundMint();
        assertEq(a, mintable);
        assertEq(b, 0);
        assertEq(minted, mintable);
    }

    function test_CreateReward_NoActiveStakeMintsNothing() public {
        assertEq(minter.createReward(0, 0), 0);
    }

    function test_Inflation_StepsDownAboveTarget() public {
        minter.createReward(1, GENESIS_SUPPLY * 9 / 10);
        assertEq(minter.inflation(), cfg.inflation - cfg.inflationChange);
    }

    function test_Inflation_StaysAtTarget() public {
        minter.createReward(1, GENESIS_SUPPLY / 2);
        assertEq(minter.inflation(), cfg.inflation);
    }

    function test_Inflation_OneStepPerElapsedRound() public {
        minter.createReward(1, GENESIS_SUPPLY / 10);
        uint256 before = minter.inflation();
        advanceRounds(4);
        minter.createReward(1, GENESIS_SUPPLY / 10);
        assertEq(minter.inflation(), before + 4 * cfg.inflationChange);
    }

    function test_Inflation_FloorsAtZero() public {
        minter.setInflationChange(PPB);
        minter.createReward(1, GENESIS_SUPPLY);
        assertEq(minter.inflation(), 0);
        (uint256 mintable,) = minter.roundMint();
        assertEq(mintable, 0);
    }

    function test_RevertWhen_CreateRewardNotBondingManager() public {
        vm.prank(makeAddr("stranger"));
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, makeAddr("stranger"), ContractIds.BONDING_MANAGER
            )
        );
        minter.createReward(1, 1);
    }

    function test_RevertWhen_CreateRewardPaused() public {
        d.controller.pause();
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        minter.createReward(1, 1);
    }

    function test_SetInflationChange() public {
        vm.expectEmit(address(minter));
        emit IMinter.InflationChangeSet(7);
        minter.setInflationChange(7);
        assertEq(minter.inflationChange(), 7);
    }

    function test_SetTargetBondingRate() public {
        vm.expectEmit(address(minter));
        emit IMinter.TargetBondingRateSet(7);
        minter.setTargetBondingRate(7);
        assertEq(minter.targetBondingRate(), 7);
    }

    function test_RevertWhen_SetRateInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IMinter.InvalidRate.selector, PPB + 1));
        minter.setInflationChange(PPB + 1);
        vm.expectRevert(abi.encodeWithSelector(IMinter.InvalidRate.selector, PPB + 1));
        minter.setTargetBondingRate(PPB + 1);
    }

    function test_RevertWhen_SetRateNotGovernance() public {
        address stranger = makeAddr("stranger");
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, stranger));
        minter.setInflationChange(1);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, stranger));
        minter.setTargetBondingRate(1);
        vm.stopPrank();
    }

    function testFuzz_CreateReward_Proportional(uint256 stake, uint256 total) public {
        total = bound(total, 1, GENESIS_SUPPLY);
        stake = bound(stake, 0, total);
        uint256 minted = minter.createReward(stake, total);
        (uint256 mintable,) = minter.roundMint();
        assertEq(minted, mintable * stake / total);
        assertLe(minted, mintable);
    }
}
