// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {FullDeployers} from "../utils/FullDeployers.sol";

/// @notice The deploy script's assembly: every contract registered, wired to the real ones, unpaused.
contract FullDeploymentTest is FullDeployers {
    function setUp() public {
        deployFullProtocol();
    }

    function test_EveryContractIsRegistered() public view {
        assertEq(full.core.controller.getContract(ContractIds.LIVEPEER_TOKEN), address(full.core.token));
        assertEq(full.core.controller.getContract(ContractIds.ROUNDS_MANAGER), address(full.core.rounds));
        assertEq(
            full.core.controller.getContract(ContractIds.BONDING_MANAGER),
            address(full.staking.bondingManager)
        );
        assertEq(full.core.controller.getContract(ContractIds.MINTER), address(full.staking.minter));
        assertEq(
            full.core.controller.getContract(ContractIds.SERVICE_REGISTRY),
            address(full.staking.serviceRegistry)
        );
        assertEq(full.core.controller.getContract(ContractIds.TICKET_BROKER), address(full.broker.broker));
        assertEq(
            full.core.controller.getContract(ContractIds.FAULT_VERIFIER), address(full.verifier.faultVerifier)
        );
        assertFalse(full.core.controller.paused());
    }

    function test_BrokerIsWiredToTheRealStakingContracts() public view {
        (address rounds, address bonding) = full.broker.broker.dependencies();
        assertEq(rounds, address(full.core.rounds));
        assertEq(bonding, address(full.staking.bondingManager));
    }
}
