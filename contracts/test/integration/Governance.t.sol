// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GovernanceDeployer} from "../../../script/GovernanceDeployer.sol";
import {TicketBroker} from "../../src/TicketBroker.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {FullDeployers} from "../utils/FullDeployers.sol";
import {RoundsManagerV2} from "../utils/upgrades/RoundsManagerV2.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @notice The deployment's governance: a `TimelockController` owns the Controller, changes go in as
/// one scheduled batch executed only after the delay, and the guardian can pause but nothing else.
contract GovernanceTest is FullDeployers, GovernanceDeployer {
    uint256 internal constant DELAY = 2 days;
    bytes32 internal constant SALT = keccak256("b1");

    TimelockController internal timelock;
    address internal proposer = makeAddr("proposer");
    address internal executor = makeAddr("executor");
    address internal guardian = makeAddr("guardian");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        // The timelock marks done operations with timestamp 1: start from a realistic clock.
        vm.warp(1_700_000_000);
        deployFullProtocol();
        address[] memory proposers = new address[](1);
        proposers[0] = proposer;
        address[] memory executors = new address[](1);
        executors[0] = executor;
        timelock = _installTimelock(
            full.core.controller,
            address(this),
            GovernanceConfig({
                minDelay: DELAY, proposers: proposers, executors: executors, guardian: guardian
            })
        );
    }

    function test_TimelockOwnsTheControllerAndTheDeployerKeepsNothing() public view {
        assertEq(full.core.controller.owner(), address(timelock));
        assertEq(full.core.controller.pendingOwner(), address(0));
        assertEq(full.core.controller.getContract(ContractIds.PAUSE_GUARDIAN), guardian);
        assertEq(timelock.getMinDelay(), DELAY);
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), proposer));
        assertTrue(timelock.hasRole(timelock.CANCELLER_ROLE(), proposer));
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), executor));
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), address(this)));
        assertFalse(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(this)));
        assertFalse(timelock.hasRole(timelock.CANCELLER_ROLE(), address(this)));
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)));
    }

    /// A parameter change and an upgrade, as one batch: refused before the delay, applied after it.
    function test_BatchExecutesOnlyAfterTheDelay() public {
        RoundsManagerV2 v2 = new RoundsManagerV2(IController(address(full.core.controller)));
        (address[] memory targets, uint256[] memory values, bytes[] memory payloads) = _batch(address(v2));
        bytes32 id = timelock.hashOperationBatch(targets, values, payloads, bytes32(0), SALT);

        vm.prank(proposer);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), SALT, DELAY);
        assertTrue(timelock.isOperationPending(id));

        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector,
                id,
                bytes32(2 ** uint256(TimelockController.OperationState.Ready))
            )
        );
        vm.prank(executor);
        timelock.executeBatch(targets, values, payloads, bytes32(0), SALT);
        assertEq(full.broker.broker.unlockPeriod(), 3);

        vm.warp(block.timestamp + 1);
        vm.prank(executor);
        timelock.executeBatch(targets, values, payloads, bytes32(0), SALT);
        assertTrue(timelock.isOperationDone(id));
        assertEq(full.broker.broker.unlockPeriod(), 4);
        assertEq(RoundsManagerV2(address(full.core.rounds)).version(), 2);
        assertEq(RoundsManagerV2(address(full.core.rounds)).initializedCount(), 5);
    }

    function test_RevertWhen_ScheduledWithLessThanTheDelay() public {
        (address[] memory targets, uint256[] memory values, bytes[] memory payloads) = _batch(address(1));
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockInsufficientDelay.selector, DELAY - 1, DELAY)
        );
        vm.prank(proposer);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), SALT, DELAY - 1);
    }

    function test_RevertWhen_ScheduledOrExecutedWithoutTheRole() public {
        (address[] memory targets, uint256[] memory values, bytes[] memory payloads) = _batch(address(1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, timelock.PROPOSER_ROLE()
            )
        );
        vm.prank(stranger);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), SALT, DELAY);

        vm.prank(proposer);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), SALT, DELAY);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, proposer, timelock.EXECUTOR_ROLE()
            )
        );
        vm.prank(proposer);
        timelock.executeBatch(targets, values, payloads, bytes32(0), SALT);
    }

    /// The old single key lost every power: the protocol's governance is the timelock alone.
    function test_RevertWhen_TheDeployerActsDirectly() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        full.core.controller.setContract(keccak256("x"), address(1));
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, address(this)));
        full.core.rounds.setRoundLength(77);
    }

    function test_GuardianPausesAndLiftsItsOwnPause() public {
        vm.prank(guardian);
        full.core.controller.pause();
        assertTrue(full.core.controller.paused());
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        full.core.rounds.initializeRound();
        vm.prank(guardian);
        full.core.controller.unpause();
        assertFalse(full.core.controller.paused());
    }

    function test_RevertWhen_GuardianLiftsAGovernancePause() public {
        _governanceDoes(address(full.core.controller), abi.encodeCall(IController.pause, ()));
        assertTrue(full.core.controller.paused());
        vm.expectRevert(IController.PausedByGovernance.selector);
        vm.prank(guardian);
        full.core.controller.unpause();
        _governanceDoes(address(full.core.controller), abi.encodeCall(IController.unpause, ()));
        assertFalse(full.core.controller.paused());
    }

    /// The guardian can do nothing but pause: no registry change, upgrade, parameter, guardian or
    /// ownership change, and no timelock role.
    function test_RevertWhen_GuardianDoesAnythingElse() public {
        bytes memory unauthorized =
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian);
        vm.startPrank(guardian);
        vm.expectRevert(unauthorized);
        full.core.controller.setContract(keccak256("x"), address(1));
        vm.expectRevert(unauthorized);
        full.core.controller.upgradeProxy(address(full.core.rounds), address(1), "");
        vm.expectRevert(unauthorized);
        full.core.controller.setContract(ContractIds.PAUSE_GUARDIAN, stranger);
        vm.expectRevert(unauthorized);
        full.core.controller.transferOwnership(guardian);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, guardian));
        full.core.rounds.setRoundLength(77);
        vm.stopPrank();
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), guardian));
        assertFalse(timelock.hasRole(timelock.EXECUTOR_ROLE(), guardian));
    }

    function test_RevertWhen_StrangerPauses() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        full.core.controller.pause();
    }

    /// Governance removes the guardian through the timelock; the old guardian can no longer pause.
    function test_GovernanceRevokesTheGuardian() public {
        _governanceDoes(
            address(full.core.controller),
            abi.encodeCall(IController.setContract, (ContractIds.PAUSE_GUARDIAN, address(0)))
        );
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        full.core.controller.pause();
    }

    function _batch(address v2)
        internal
        view
        returns (address[] memory targets, uint256[] memory values, bytes[] memory payloads)
    {
        targets = new address[](2);
        values = new uint256[](2);
        payloads = new bytes[](2);
        targets[0] = address(full.broker.broker);
        payloads[0] = abi.encodeCall(TicketBroker.setUnlockPeriod, (4));
        targets[1] = address(full.core.controller);
        payloads[1] = abi.encodeCall(
            IController.upgradeProxy,
            (address(full.core.rounds), v2, abi.encodeCall(RoundsManagerV2.initializeV2, (5)))
        );
    }

    function _governanceDoes(address target, bytes memory data) internal {
        bytes32 salt = keccak256(abi.encode(target, data, block.timestamp));
        vm.prank(proposer);
        timelock.schedule(target, 0, data, bytes32(0), salt, DELAY);
        vm.warp(block.timestamp + DELAY);
        vm.prank(executor);
        timelock.execute(target, 0, data, bytes32(0), salt);
    }
}
