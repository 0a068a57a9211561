// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FullProtocolDeployer} from "../../../script/FullProtocolDeployer.sol";
import {Test} from "./Test.sol";

/// @title FullDeployers
/// @notice Integration fixture: the complete protocol, deployed and wired exactly as
/// `script/Deploy.s.sol` does (real BondingManager, TicketBroker, FaultVerifier; no stand-ins), with
/// this test contract as governance and the sole committee member.
abstract contract FullDeployers is Test, FullProtocolDeployer {
    uint256 internal constant FULL_ROUND_LENGTH = 50;
    uint256 internal constant FULL_GENESIS_SUPPLY = 10_000_000 ether;

    FullDeployment internal full;

    function deployFullProtocol() internal {
        vm.roll(1000);
        full = _deployFullProtocol(
            address(this), _defaultFullConfig(address(this), FULL_ROUND_LENGTH, FULL_GENESIS_SUPPLY)
        );
    }
}
