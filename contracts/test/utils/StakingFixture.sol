// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingDeployer} from "../../../script/StakingDeployer.sol";
import {BondingManager} from "../../src/BondingManager.sol";
import {Minter} from "../../src/Minter.sol";
import {ServiceRegistry} from "../../src/ServiceRegistry.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {Deployers} from "./Deployers.sol";
import {MockFeeVault} from "./mocks/MockFeeVault.sol";
import {MockVerifierApprovals} from "./mocks/MockVerifierApprovals.sol";

/// @title StakingFixture
/// @notice The protocol plus the staking contracts, a mock TicketBroker (fee vault) and a fault
/// verifier account, with helpers to fund, bond and move rounds.
abstract contract StakingFixture is Deployers, StakingDeployer {
    StakingDeployment internal s;
    BondingManager internal bm;
    Minter internal minter;
    ServiceRegistry internal registry;
    MockFeeVault internal broker;
    address internal faultVerifier;
    StakingConfig internal cfg;

    function deployStaking() internal {
        deployStaking(_stakingConfig());
    }

    /// @dev The staking parameters of the suite: the default (the maturity period follows the
    /// unbonding period); a suite overrides it to run under other periods.
    function _stakingConfig() internal pure virtual returns (StakingConfig memory) {
        return _defaultStakingConfig();
    }

    function deployStaking(StakingConfig memory config) internal {
        deployProtocol();
        cfg = config;
        s = _deployStaking(d.controller, config);
        bm = s.bondingManager;
        minter = s.minter;
        registry = s.serviceRegistry;
        broker = new MockFeeVault(bm);
        vm.deal(address(broker), 1_000_000 ether);
        d.controller.setContract(ContractIds.TICKET_BROKER, address(broker));
        faultVerifier = address(new MockVerifierApprovals());
        d.controller.setContract(ContractIds.FAULT_VERIFIER, faultVerifier);
    }

    /// @dev Gives `who` `amount` LPT from the genesis holder and approves the BondingManager.
    function fund(address who, uint256 amount) internal {
        d.token.transfer(who, amount);
        vm.prank(who);
        d.token.approve(address(bm), type(uint256).max);
    }

    function fundAndBond(address who, uint256 amount, address to) internal {
        fund(who, amount);
        vm.prank(who);
        bm.bond(amount, to);
    }

    function round() internal view returns (uint256) {
        return d.rounds.currentRound();
    }

    /// @dev Moves to the first block of the next round.
    function nextRound() internal {
        vm.roll(d.rounds.currentRoundStartBlock() + ROUND_LENGTH);
    }

    function advanceRounds(uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            nextRound();
        }
    }

    /// @dev Waits until stake that entered in this round has matured (young stake earns nothing
    /// for the maturity period, docs/staking.md).
    function waitMaturity() internal {
        advanceRounds(bm.maturityPeriod());
    }

    function stakeOf(address who) internal view returns (uint256 stake) {
        (, stake,) = bm.delegatorInfo(who);
    }

    function feesOf(address who) internal view returns (uint256 fees) {
        (,, fees) = bm.delegatorInfo(who);
    }
}
