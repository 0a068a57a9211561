// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FullProtocolDeployer} from "./FullProtocolDeployer.sol";

/// @title InProcessDeployer
/// @notice The full deployment of `Deploy.s.sol` as a single creation transaction, for in-process
/// EVMs without forge cheatcodes (the Rust revm harness in `crates/fuzz`). The constructor runs
/// `_deployFullProtocol` with `_defaultFullConfig(governance, ...)`, so the genesis supply and the
/// committee seat go to `governance` exactly as the script gives them to its broadcaster; this
/// contract is the Controller's owner while it wires everything (the deployer must be the caller)
/// and then proposes `governance` as owner, who accepts with `Controller.acceptOwnership()`.
/// @dev Not for production: its runtime code embeds every contract's creation code, so it only
/// deploys where the EIP-170 size limit is lifted for it.
contract InProcessDeployer is FullProtocolDeployer {
    FullDeployment private _deployment;

    /// @param governance Receives the genesis supply, the committee seat and (after acceptance) the
    /// Controller.
    /// @param roundLength Blocks per round.
    /// @param genesisSupply LPT minted to `governance`.
    constructor(address governance, uint256 roundLength, uint256 genesisSupply) {
        FullDeployment memory f =
            _deployFullProtocol(address(this), _defaultFullConfig(governance, roundLength, genesisSupply));
        _deployment = f;
        f.core.controller.transferOwnership(governance);
    }

    /// @notice What the constructor deployed; protocol contracts are addressed through their proxies.
    function deployment() external view returns (FullDeployment memory) {
        return _deployment;
    }
}
