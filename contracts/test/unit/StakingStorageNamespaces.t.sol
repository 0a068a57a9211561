// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice The staking contracts keep their state at the ERC-7201 slot of their documented
/// namespace: each test reads, through `vm.load`, a value that initialization or a setter wrote at
/// the namespace root (or a mapping under it).
contract StakingStorageNamespacesTest is StakingFixture {
    function setUp() public {
        deployStaking();
    }

    function erc7201(string memory id) internal pure returns (bytes32) {
        return keccak256(abi.encode(uint256(keccak256(bytes(id))) - 1)) & ~bytes32(uint256(0xff));
    }

    function test_BondingManagerNamespace() public view {
        // slot 0: uint64 unbondingPeriod | uint128 minActiveStake << 64
        uint256 word = uint256(vm.load(address(bm), erc7201("streamflow.storage.BondingManager")));
        assertEq(word & type(uint64).max, cfg.unbondingPeriod);
        assertEq(word >> 64, cfg.minActiveStake);
    }

    function test_MinterNamespace() public view {
        // slot 0: uint32 inflation | uint32 inflationChange << 32 | uint32 targetBondingRate << 64 | ...
        uint256 word = uint256(vm.load(address(minter), erc7201("streamflow.storage.Minter")));
        assertEq(word & type(uint32).max, cfg.inflation);
        assertEq((word >> 32) & type(uint32).max, cfg.inflationChange);
        assertEq((word >> 64) & type(uint32).max, cfg.targetBondingRate);
    }

    function test_ServiceRegistryNamespace() public {
        bytes32 id = keccak256("H264 1080p->720p");
        registry.setKnownService(id, address(0xbeef), true);
        // known[id] at keccak256(id . root): bool known | address defaultVerifier << 8
        bytes32 slot = keccak256(abi.encode(id, erc7201("streamflow.storage.ServiceRegistry")));
        uint256 word = uint256(vm.load(address(registry), slot));
        assertEq(word & 0xff, 1);
        assertEq(word >> 8, uint256(uint160(address(0xbeef))));
    }
}
