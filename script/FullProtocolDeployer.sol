// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFaultVerifier} from "../contracts/src/interfaces/IFaultVerifier.sol";
import {BrokerDeployer} from "./BrokerDeployer.sol";
import {ProtocolDeployer} from "./ProtocolDeployer.sol";
import {StakingDeployer} from "./StakingDeployer.sol";
import {VerifierDeployer} from "./VerifierDeployer.sol";

/// @title FullProtocolDeployer
/// @notice Assembles a complete deployment in dependency order: the plumbing (Controller, LPT,
/// RoundsManager), staking (BondingManager, Minter, ServiceRegistry), the TicketBroker, then fault
/// verification (FaultVerifier and its verifiers, which read staking's unbonding period). Every
/// contract is registered in the Controller; the protocol is unpaused last.
abstract contract FullProtocolDeployer is
    ProtocolDeployer,
    StakingDeployer,
    BrokerDeployer,
    VerifierDeployer
{
    /// @notice Everything a full deployment needs.
    struct FullConfig {
        DeployConfig core;
        StakingConfig staking;
        BrokerConfig broker;
        VerifierConfig verifier;
    }

    /// @notice What a full deployment produced.
    struct FullDeployment {
        Deployment core;
        StakingDeployment staking;
        BrokerDeployment broker;
        VerifierDeployment verifier;
    }

    /// @notice A local-network default: 7-round unbonding, 2-round ticket validity with a 3-round
    /// unlock, new stake earning after 2 rounds (the ticket validity), a 5-round challenge window,
    /// and a one-member committee (the deployer).
    function _defaultFullConfig(address deployer, uint256 roundLength, uint256 genesisSupply)
        internal
        pure
        returns (FullConfig memory cfg)
    {
        cfg.core = DeployConfig({
            genesisHolder: deployer,
            genesisSupply: genesisSupply,
            roundLength: roundLength,
            leavePaused: false
        });
        cfg.staking = _defaultStakingConfig();
        cfg.broker = BrokerConfig({ticketValidityPeriod: 2, unlockPeriod: 3});
        // new stake earns once no ticket created before it joined can still be redeemed
        cfg.staking.maturityPeriod = cfg.broker.ticketValidityPeriod;
        address[] memory committee = new address[](1);
        committee[0] = deployer;
        cfg.verifier = VerifierConfig({
            params: IFaultVerifier.Params({
                challengeWindowRounds: 5,
                challengeBond: 0.1 ether,
                slashFractionPpm: 100_000,
                finderFeePpm: 500_000
            }),
            committee: committee,
            committeeThreshold: 1,
            verdictPeriodBlocks: 100
        });
    }

    /// @dev Deploys and wires everything; `owner` must be the caller (it registers and unpauses).
    function _deployFullProtocol(address owner, FullConfig memory cfg)
        internal
        returns (FullDeployment memory f)
    {
        bool leavePaused = cfg.core.leavePaused;
        cfg.core.leavePaused = true; // unpause only once everything is wired
        f.core = _deployProtocol(owner, cfg.core);
        f.staking = _deployStaking(f.core.controller, cfg.staking);
        f.broker = _deployTicketBroker(f.core.controller, cfg.broker);
        f.verifier = _deployVerifier(f.core.controller, cfg.verifier);
        if (!leavePaused) f.core.controller.unpause();
    }
}
