// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BondingManager} from "../contracts/src/BondingManager.sol";
import {BondingManagerAdmin} from "../contracts/src/BondingManagerAdmin.sol";
import {Controller} from "../contracts/src/Controller.sol";
import {Minter} from "../contracts/src/Minter.sol";
import {ServiceRegistry} from "../contracts/src/ServiceRegistry.sol";
import {IController} from "../contracts/src/interfaces/IController.sol";
import {ContractIds} from "../contracts/src/libraries/ContractIds.sol";
import {ControlledProxy} from "../contracts/src/proxy/ControlledProxy.sol";

/// @title StakingDeployer
/// @notice Deploys the staking side of a deployment (BondingManager, Minter, ServiceRegistry), each
/// behind a `ControlledProxy`, and registers them in the Controller. Needs the Controller, LPT and
/// RoundsManager in place (see `ProtocolDeployer`); the caller must be the Controller's owner.
abstract contract StakingDeployer {
    /// @notice Parameters of the staking contracts.
    struct StakingConfig {
        uint256 unbondingPeriod;
        /// @dev Rounds new stake waits before it earns: at least the ticket validity period, at most
        /// the unbonding period; 0: the unbonding period (and it follows it when that changes).
        uint256 maturityPeriod;
        uint256 minActiveStake;
        /// @dev Parts per billion per round.
        uint256 inflation;
        uint256 inflationChange;
        uint256 targetBondingRate;
    }

    /// @notice What `_deployStaking` produced; contracts are addressed through their proxies.
    struct StakingDeployment {
        BondingManager bondingManager;
        Minter minter;
        ServiceRegistry serviceRegistry;
        address bondingManagerImplementation;
        /// @dev The BondingManager implementation's admin extension (its `ADMIN`), deployed first.
        address bondingManagerAdmin;
        address minterImplementation;
        address serviceRegistryImplementation;
    }

    /// @notice A sensible default: 7-round unbonding, 1,000 LPT to be active, Livepeer's inflation.
    function _defaultStakingConfig() internal pure returns (StakingConfig memory) {
        return StakingConfig({
            unbondingPeriod: 7,
            maturityPeriod: 0,
            minActiveStake: 1000 ether,
            inflation: 137_500,
            inflationChange: 500,
            targetBondingRate: 500_000_000
        });
    }

    /// @dev Deploys, initializes and registers the three contracts.
    function _deployStaking(Controller controller, StakingConfig memory cfg)
        internal
        returns (StakingDeployment memory s)
    {
        IController c = IController(address(controller));

        s.bondingManagerAdmin = address(new BondingManagerAdmin(c));
        s.bondingManagerImplementation = address(new BondingManager(c, s.bondingManagerAdmin));
        s.bondingManager = BondingManager(
            _stakingProxy(
                c,
                s.bondingManagerImplementation,
                abi.encodeCall(
                    BondingManager.initialize, (cfg.unbondingPeriod, cfg.maturityPeriod, cfg.minActiveStake)
                )
            )
        );

        s.minterImplementation = address(new Minter(c));
        s.minter = Minter(
            _stakingProxy(
                c,
                s.minterImplementation,
                abi.encodeCall(Minter.initialize, (cfg.inflation, cfg.inflationChange, cfg.targetBondingRate))
            )
        );

        s.serviceRegistryImplementation = address(new ServiceRegistry(c));
        s.serviceRegistry = ServiceRegistry(
            _stakingProxy(c, s.serviceRegistryImplementation, abi.encodeCall(ServiceRegistry.initialize, ()))
        );

        controller.setContract(ContractIds.BONDING_MANAGER, address(s.bondingManager));
        controller.setContract(ContractIds.MINTER, address(s.minter));
        controller.setContract(ContractIds.SERVICE_REGISTRY, address(s.serviceRegistry));
    }

    function _stakingProxy(IController c, address implementation, bytes memory init)
        private
        returns (address)
    {
        return address(new ControlledProxy(address(c), implementation, init));
    }
}
