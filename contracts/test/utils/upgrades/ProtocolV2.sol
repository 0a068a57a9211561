// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FaultVerifier} from "../../../src/FaultVerifier.sol";
import {LivepeerToken} from "../../../src/LivepeerToken.sol";
import {Minter} from "../../../src/Minter.sol";
import {ServiceRegistry} from "../../../src/ServiceRegistry.sol";
import {TicketBroker} from "../../../src/TicketBroker.sol";
import {IController} from "../../../src/interfaces/IController.sol";
import {CommitteeVerifier} from "../../../src/verifiers/CommitteeVerifier.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

/// @notice What every v2 of the upgrade rehearsal adds on top of v1: new state in a namespace of its
/// own (block of the upgrade, a counter) set by a `reinitializer(2)`, and new behaviour (`ping`).
/// There is no BondingManager v2 here: v1 is about 24,450 bytes and this mixin adds about 470, over the
/// 24,576-byte limit; a real BondingManager v2 must first move code to BondingManagerAdmin.
abstract contract UpgradeV2 is Initializable {
    /// @custom:storage-location erc7201:streamflow.storage.UpgradeV2
    struct UpgradeV2Storage {
        uint256 upgradedAtBlock;
        uint256 pings;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("streamflow.storage.UpgradeV2")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant V2_SLOT = 0x9744c6c0228a50bf6b996c3818a004879b7cf3c5abcc5eee26b3585f4c30d200;

    /// @notice The v2 state was initialised.
    function initializeV2() external reinitializer(2) {
        _v2().upgradedAtBlock = block.number;
    }

    /// @notice New behaviour: counts calls.
    function ping() external returns (uint256) {
        return ++_v2().pings;
    }

    /// @notice The version of this implementation.
    function implementationVersion() external pure returns (uint256) {
        return 2;
    }

    /// @notice The block of the upgrade to v2.
    function upgradedAtBlock() external view returns (uint256) {
        return _v2().upgradedAtBlock;
    }

    function _v2() private pure returns (UpgradeV2Storage storage $) {
        bytes32 slot = V2_SLOT;
        assembly {
            $.slot := slot
        }
    }
}

contract LivepeerTokenV2 is LivepeerToken, UpgradeV2 {
    constructor(IController c) LivepeerToken(c) {}
}

contract MinterV2 is Minter, UpgradeV2 {
    constructor(IController c) Minter(c) {}
}

contract ServiceRegistryV2 is ServiceRegistry, UpgradeV2 {
    constructor(IController c) ServiceRegistry(c) {}
}

contract TicketBrokerV2 is TicketBroker, UpgradeV2 {
    constructor(IController c) TicketBroker(c) {}
}

contract FaultVerifierV2 is FaultVerifier, UpgradeV2 {
    constructor(IController c) FaultVerifier(c) {}
}

contract CommitteeVerifierV2 is CommitteeVerifier, UpgradeV2 {
    constructor(IController c) CommitteeVerifier(c) {}
}
