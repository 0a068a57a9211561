// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingFixture} from "../utils/StakingFixture.sol";
import {RegistryHandler} from "./handlers/RegistryHandler.sol";

/// @notice The (service, region) index always lists exactly the orchestrators that offer the
/// service in the region, whatever sequence of updates led there.
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 48
contract ServiceRegistryInvariantTest is StakingFixture {
    RegistryHandler internal handler;

    function setUp() public {
        deployStaking();
        address[] memory orchs = new address[](4);
        for (uint256 i; i < orchs.length; ++i) {
            orchs[i] = makeAddr(string.concat("orch", vm.toString(i)));
            fundAndBond(orchs[i], 1000 ether, orchs[i]);
        }
        bytes32[3] memory services = [keccak256("H264 1080p->720p"), keccak256("GPU"), keccak256("verify")];
        bytes32[3] memory regions = [keccak256("eu"), keccak256("us"), keccak256("ap")];
        for (uint256 i; i < 3; ++i) {
            registry.setKnownService(services[i], address(0), true);
        }
        handler = new RegistryHandler(registry, orchs, services, regions);
        targetContract(address(handler));
    }

    function invariant_IndexMatchesOfferings() public view {
        for (uint256 s; s < 3; ++s) {
            for (uint256 r; r < 3; ++r) {
                uint256 want;
                for (uint256 i; i < handler.count(); ++i) {
                    address o = handler.orchestrators(i);
                    bool offers =
                        (handler.ghostServices(o) >> s) & 1 != 0 && (handler.ghostRegions(o) >> r) & 1 != 0;
                    if (offers) ++want;
                }
                bytes32 service = handler.serviceIds(s);
                bytes32 region = handler.regionIds(r);
                assertEq(registry.orchestratorCount(service, region), want);
                address[] memory page = registry.orchestratorsFor(service, region, 0, 10);
                for (uint256 k; k < page.length; ++k) {
                    assertTrue((handler.ghostServices(page[k]) >> s) & 1 != 0, "listed without the service");
                    assertTrue((handler.ghostRegions(page[k]) >> r) & 1 != 0, "listed outside the region");
                }
            }
        }
    }
}
