// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ServiceRegistry} from "../../../src/ServiceRegistry.sol";
import {IServiceRegistry} from "../../../src/interfaces/IServiceRegistry.sol";
import {Test} from "../../utils/Test.sol";

/// @notice Drives orchestrators through the ServiceRegistry with random subsets of services and
/// regions; the ghost keeps each one's current subsets as bit masks.
contract RegistryHandler is Test {
    ServiceRegistry internal immutable registry;
    address[] public orchestrators;
    bytes32[3] public serviceIds;
    bytes32[3] public regionIds;

    mapping(address orchestrator => uint256 mask) public ghostServices;
    mapping(address orchestrator => uint256 mask) public ghostRegions;

    constructor(
        ServiceRegistry registry_,
        address[] memory orchestrators_,
        bytes32[3] memory s,
        bytes32[3] memory r
    ) {
        registry = registry_;
        orchestrators = orchestrators_;
        serviceIds = s;
        regionIds = r;
    }

    function count() external view returns (uint256) {
        return orchestrators.length;
    }

    function _regions(uint256 mask) internal view returns (bytes32[] memory list) {
        list = new bytes32[](_bits(mask));
        uint256 n;
        for (uint256 i; i < 3; ++i) {
            if ((mask >> i) & 1 != 0) list[n++] = regionIds[i];
        }
    }

    function _services(uint256 mask) internal view returns (IServiceRegistry.Service[] memory list) {
        list = new IServiceRegistry.Service[](_bits(mask));
        uint256 n;
        for (uint256 i; i < 3; ++i) {
            if ((mask >> i) & 1 != 0) {
                list[n++] = IServiceRegistry.Service({id: serviceIds[i], verifier: address(0)});
            }
        }
    }

    function _bits(uint256 mask) internal pure returns (uint256 n) {
        for (uint256 i; i < 3; ++i) {
            if ((mask >> i) & 1 != 0) ++n;
        }
    }

    function setRegions(uint256 who, uint256 mask) external {
        address o = orchestrators[who % orchestrators.length];
        mask %= 8;
        vm.prank(o);
        registry.setRegions(_regions(mask));
        ghostRegions[o] = mask;
    }

    function setServices(uint256 who, uint256 mask) external {
        address o = orchestrators[who % orchestrators.length];
        mask %= 8;
        vm.prank(o);
        registry.setServices(_services(mask));
        ghostServices[o] = mask;
    }

    function register(uint256 who, uint256 services, uint256 regions) external {
        address o = orchestrators[who % orchestrators.length];
        services %= 8;
        regions %= 8;
        vm.prank(o);
        registry.register("u", _regions(regions), _services(services));
        ghostServices[o] = services;
        ghostRegions[o] = regions;
    }

    function deregister(uint256 who) external {
        address o = orchestrators[who % orchestrators.length];
        vm.prank(o);
        registry.deregister();
        ghostServices[o] = 0;
        ghostRegions[o] = 0;
    }
}
