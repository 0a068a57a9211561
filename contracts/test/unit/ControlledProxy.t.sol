// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LivepeerToken} from "../../src/LivepeerToken.sol";
import {RoundsManager} from "../../src/RoundsManager.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {ControlledProxy} from "../../src/proxy/ControlledProxy.sol";
import {Deployers} from "../utils/Deployers.sol";
import {RoundsManagerV2} from "../utils/upgrades/RoundsManagerV2.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";

contract ControlledProxyTest is Deployers {
    event Upgraded(address indexed implementation);

    function setUp() public {
        deployProtocol();
    }

    function _implementationOf(address proxy) internal view returns (address) {
        return address(uint160(uint256(vm.load(proxy, ERC1967Utils.IMPLEMENTATION_SLOT))));
    }

    function test_ProxiesPointAtTheirImplementationsAndAdmin() public view {
        assertEq(_implementationOf(address(d.rounds)), d.roundsImplementation);
        assertEq(_implementationOf(address(d.token)), d.tokenImplementation);
        address admin = address(uint160(uint256(vm.load(address(d.rounds), ERC1967Utils.ADMIN_SLOT))));
        assertEq(admin, address(d.controller));
    }

    function test_UpgradeKeepsStateAndChangesBehaviour() public {
        // v1: write state through the proxy.
        d.rounds.initializeRound();
        uint256 round1 = d.rounds.currentRound();
        bytes32 hash1 = d.rounds.blockHashForRound(round1);
        vm.roll(block.number + ROUND_LENGTH);
        d.rounds.initializeRound();
        d.rounds.setRoundLength(80); // queued for the next round
        uint256 round2 = d.rounds.currentRound();

        // Upgrade to v2, running its reinitializer in the same call.
        RoundsManagerV2 v2 = new RoundsManagerV2(IController(address(d.controller)));
        vm.expectEmit(address(d.rounds));
        emit Upgraded(address(v2));
        d.controller
            .upgradeProxy(address(d.rounds), address(v2), abi.encodeCall(RoundsManagerV2.initializeV2, (40)));
        RoundsManagerV2 upgraded = RoundsManagerV2(address(d.rounds));

        // Old state reads back unchanged.
        assertEq(upgraded.version(), 2);
        assertEq(upgraded.currentRound(), round2);
        assertEq(upgraded.lastInitializedRound(), round2);
        assertEq(upgraded.blockHashForRound(round1), hash1);
        assertEq(upgraded.roundLength(), ROUND_LENGTH);
        assertTrue(upgraded.currentRoundInitialized());
        // The queued length change survives and applies at the next boundary.
        vm.roll(upgraded.currentRoundStartBlock() + ROUND_LENGTH);
        assertEq(upgraded.currentRound(), round2 + 1);
        assertEq(upgraded.roundLength(), 80);

        // The new field and the new behaviour.
        assertEq(upgraded.initializedCount(), 40);
        upgraded.initializeRound();
        assertEq(upgraded.initializedCount(), 41);
        upgraded.setFrozen(true);
        vm.roll(block.number + 80);
        vm.expectRevert(RoundsManagerV2.RoundsFrozen.selector);
        upgraded.initializeRound();
    }

    function test_UpgradeKeepsTokenBalances() public {
        address holder = makeAddr("holder");
        d.token.transfer(holder, 123 ether);
        LivepeerToken next = new LivepeerToken(IController(address(d.controller)));
        d.controller.upgradeProxy(address(d.token), address(next), "");
        assertEq(d.token.balanceOf(holder), 123 ether);
        assertEq(d.token.totalSupply(), GENESIS_SUPPLY);
        assertEq(_implementationOf(address(d.token)), address(next));
    }

    function test_RevertWhen_UnauthorizedUpgrade() public {
        address attacker = makeAddr("attacker");
        RoundsManagerV2 v2 = new RoundsManagerV2(IController(address(d.controller)));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, attacker));
        vm.prank(attacker);
        d.controller.upgradeProxy(address(d.rounds), address(v2), "");

        // Calling the proxy directly is forwarded to the implementation, which has no such
        // function: the call fails and the implementation is unchanged.
        vm.prank(attacker);
        (bool ok,) =
            address(d.rounds).call(abi.encodeCall(ControlledProxy.upgradeToAndCall, (address(v2), "")));
        assertFalse(ok);
        assertEq(_implementationOf(address(d.rounds)), d.roundsImplementation);
    }

    function test_RevertWhen_AdminCallsThrough() public {
        vm.prank(address(d.controller));
        vm.expectRevert(ControlledProxy.ProxyDeniedAdminAccess.selector);
        d.rounds.currentRound();
    }

    function test_RevertWhen_ReinitializingProxy() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        d.rounds.initialize(10);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        d.token.initialize(address(this), 1);
    }

    function test_RevertWhen_InitializingImplementationDirectly() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        RoundsManager(d.roundsImplementation).initialize(10);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        LivepeerToken(d.tokenImplementation).initialize(address(this), 1 ether);
    }

    function test_RevertWhen_ReplayingOldReinitializer() public {
        RoundsManagerV2 v2 = new RoundsManagerV2(IController(address(d.controller)));
        d.controller
            .upgradeProxy(address(d.rounds), address(v2), abi.encodeCall(RoundsManagerV2.initializeV2, (1)));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        RoundsManagerV2(address(d.rounds)).initializeV2(999);
    }
}

contract ControlledProxyConstructionTest is Deployers {
    function test_RevertWhen_ZeroAdmin() public {
        deployProtocol();
        vm.expectRevert(ControlledProxy.ZeroAdmin.selector);
        new ControlledProxy(address(0), d.roundsImplementation, "");
    }

    function test_PlainEtherIsForwardedToTheImplementation() public {
        deployProtocol();
        // RoundsManager accepts no ether: the forwarded transfer reverts and nothing is kept.
        (bool ok,) = address(d.rounds).call{value: 1 ether}("");
        assertFalse(ok);
        assertEq(address(d.rounds).balance, 0);
    }
}
