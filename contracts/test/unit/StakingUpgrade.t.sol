// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BondingManager} from "../../src/BondingManager.sol";
import {BondingManagerAdmin} from "../../src/BondingManagerAdmin.sol";
import {Minter} from "../../src/Minter.sol";
import {ServiceRegistry} from "../../src/ServiceRegistry.sol";
import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IServiceRegistry} from "../../src/interfaces/IServiceRegistry.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice Upgrading the staking contracts behind their proxies keeps bonds, fees, rewards, locks,
/// inflation state and listings; a BondingManager implementation only takes an admin extension of
/// its own deployment.
contract StakingUpgradeTest is StakingFixture {
    bytes32 internal constant H264 = keccak256("H264 1080p->720p");
    bytes32 internal constant EU = keccak256("eu-west");

    function test_UpgradeKeepsState() public {
        deployStaking();
        address orch = makeAddr("orch");
        address alice = makeAddr("alice");
        fundAndBond(orch, 10_000 ether, orch);
        vm.prank(orch);
        bm.announceCuts(100_000, 500_000);
        fundAndBond(alice, 10_000 ether, orch);
        registry.setKnownService(H264, address(0), true);
        bytes32[] memory regions = new bytes32[](1);
        regions[0] = EU;
        IServiceRegistry.Service[] memory services = new IServiceRegistry.Service[](1);
        services[0] = IServiceRegistry.Service({id: H264, verifier: address(0)});
        vm.prank(orch);
        registry.register("https://orch:8935", regions, services);
        waitMaturity(); // entering stake earns nothing for an unbonding period (young stake)
        vm.prank(orch);
        bm.reward();
        broker.credit(orch, 1 ether, round());
        vm.prank(alice);
        uint256 lockId = bm.unbond(1000 ether);

        (, uint256 stakeBefore, uint256 feesBefore) = bm.delegatorInfo(alice);
        uint256 totalBefore = bm.totalActiveStake(round() + 1);
        uint256 inflationBefore = minter.inflation();

        _upgradeAll();

        (address delegate, uint256 stake, uint256 fees) = bm.delegatorInfo(alice);
        assertEq(delegate, orch);
        assertEq(stake, stakeBefore);
        assertEq(fees, feesBefore);
        assertEq(bm.totalActiveStake(round() + 1), totalBefore);
        assertEq(minter.inflation(), inflationBefore);
        assertEq(registry.orchestratorCount(H264, EU), 1);
        assertEq(registry.serviceURI(orch), "https://orch:8935");

        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        vm.prank(orch);
        bm.reward();
        vm.prank(alice);
        bm.withdrawFees(payable(alice), fees);
        assertEq(alice.balance, fees);
    }

    /// @dev Upgrades the three staking proxies to fresh builds; the BondingManager gets a new admin.
    function _upgradeAll() private {
        IController c = IController(address(d.controller));
        address admin = address(new BondingManagerAdmin(c));
        d.controller.upgradeProxy(address(bm), address(new BondingManager(c, admin)), "");
        assertEq(bm.ADMIN(), admin);
        d.controller.upgradeProxy(address(minter), address(new Minter(c)), "");
        d.controller.upgradeProxy(address(registry), address(new ServiceRegistry(c)), "");
    }

    function test_RevertWhen_AdminHasNoCode() public {
        deployStaking();
        IController c = IController(address(d.controller));
        address noCode = makeAddr("no code");
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.AdminWithoutCode.selector, noCode));
        new BondingManager(c, noCode);
    }

    function test_RevertWhen_AdminOfOtherController() public {
        deployStaking();
        IController c = IController(address(d.controller));
        address otherController = makeAddr("other controller");
        address admin = address(new BondingManagerAdmin(IController(otherController)));
        vm.expectRevert(
            abi.encodeWithSelector(
                IBondingManagerTypes.AdminOfOtherController.selector, admin, otherController, address(c)
            )
        );
        new BondingManager(c, admin);
    }
}
