// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProtocolDeployer} from "../../../script/ProtocolDeployer.sol";
import {Test} from "./Test.sol";

/// @title Deployers
/// @notice Shared fixture: deploys the protocol exactly as `script/Deploy.s.sol` does, with this test
/// contract as governance, and rolls past block 1 so block hashes exist.
abstract contract Deployers is Test, ProtocolDeployer {
    uint256 internal constant ROUND_LENGTH = 50;
    uint256 internal constant GENESIS_SUPPLY = 10_000_000 ether;

    Deployment internal d;
    address internal governance;

    function deployProtocol() internal {
        vm.roll(1000);
        governance = address(this);
        d = _deployProtocol(
            governance,
            DeployConfig({
                genesisHolder: governance,
                genesisSupply: GENESIS_SUPPLY,
                roundLength: ROUND_LENGTH,
                leavePaused: false
            })
        );
    }
}
