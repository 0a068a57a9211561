// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IServiceRegistry} from "../../src/interfaces/IServiceRegistry.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";
import {MockVerifierApprovals} from "../utils/mocks/MockVerifierApprovals.sol";

contract ServiceRegistryTest is StakingFixture {
    bytes32 internal constant H264 = keccak256("H264 1080p->720p");
    bytes32 internal constant GPU = keccak256("GPU transcoding");
    bytes32 internal constant EU = keccak256("eu-west");
    bytes32 internal constant US = keccak256("us-east");

    address internal orch;
    address internal orch2;
    address internal verifier;
    address internal ownVerifier;

    function setUp() public {
        deployStaking();
        orch = makeAddr("orch");
        orch2 = makeAddr("orch2");
        verifier = makeAddr("verifier");
        ownVerifier = makeAddr("ownVerifier");
        fundAndBond(orch, 1000 ether, orch);
        fundAndBond(orch2, 1000 ether, orch2);
        registry.setKnownService(H264, verifier, true);
        registry.setKnownService(GPU, address(0), true);
        MockVerifierApprovals(faultVerifier).setVerifierApproval(ownVerifier, true);
    }

    function regions(bytes32 a) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](1);
        r[0] = a;
    }

    function regions(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](2);
        r[0] = a;
        r[1] = b;
    }

    function services(bytes32 a, address v) internal pure returns (IServiceRegistry.Service[] memory s_) {
        s_ = new IServiceRegistry.Service[](1);
        s_[0] = IServiceRegistry.Service({id: a, verifier: v});
    }

    function services(bytes32 a, bytes32 b) internal pure returns (IServiceRegistry.Service[] memory s_) {
        s_ = new IServiceRegistry.Service[](2);
        s_[0] = IServiceRegistry.Service({id: a, verifier: address(0)});
        s_[1] = IServiceRegistry.Service({id: b, verifier: address(0)});
    }

    function test_Register() public {
        vm.expectEmit(address(registry));
        emit IServiceRegistry.ServiceURISet(orch, "https://orch:8935");
        vm.expectEmit(address(registry));
        emit IServiceRegistry.RegionsSet(orch, regions(EU, US));
        vm.expectEmit(address(registry));
        emit IServiceRegistry.Listed(H264, EU, orch);
        vm.prank(orch);
        registry.register("https://orch:8935", regions(EU, US), services(H264, ownVerifier));
        assertEq(registry.serviceURI(orch), "https://orch:8935");
        assertEq(registry.regionsOf(orch).length, 2);
        IServiceRegistry.Service[] memory list = registry.servicesOf(orch);
        assertEq(list.length, 1);
        assertEq(list[0].id, H264);
        assertEq(list[0].verifier, ownVerifier);
        assertEq(registry.orchestratorCount(H264, EU), 1);
        assertEq(registry.orchestratorCount(H264, US), 1);
        assertEq(registry.orchestratorsFor(H264, US, 0, 10)[0], orch);
        assertEq(registry.verifierFor(orch, H264), ownVerifier);
    }

    function test_VerifierFor_DefaultsToGovernance() public {
        vm.prank(orch);
        registry.register("u", regions(EU), services(H264, address(0)));
        assertEq(registry.verifierFor(orch, H264), verifier);
        registry.setKnownService(H264, address(0xbeef), true);
        assertEq(registry.verifierFor(orch, H264), address(0xbeef));
    }

    /// @dev Regression (review H-5): an orchestrator could name any verifier (e.g. 0xdead, which the
    /// FaultVerifier refuses) before a challenge and so never be slashed.
    function test_RevertWhen_OrchestratorNamesUnapprovedVerifier() public {
        vm.prank(orch);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceRegistry.VerifierNotApproved.selector, address(0xdead))
        );
        registry.register("u", regions(EU), services(H264, address(0xdead)));
        vm.prank(orch);
        registry.register("u", regions(EU), services(H264, address(0)));
        assertEq(registry.verifierFor(orch, H264), verifier);
        // after (faulty) work, before a challenge: switching to an unapproved judge is refused
        vm.prank(orch);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceRegistry.VerifierNotApproved.selector, address(0xdead))
        );
        registry.setServices(services(H264, address(0xdead)));
        assertEq(registry.verifierFor(orch, H264), verifier);
        // an approval revoked by governance can't be named any more
        MockVerifierApprovals(faultVerifier).setVerifierApproval(ownVerifier, false);
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.VerifierNotApproved.selector, ownVerifier));
        registry.setServices(services(H264, ownVerifier));
    }

    function test_RevertWhen_NamingVerifierWithNoFaultVerifierRegistered() public {
        d.controller.setContract(ContractIds.FAULT_VERIFIER, address(0));
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.VerifierNotApproved.selector, ownVerifier));
        registry.register("u", regions(EU), services(H264, ownVerifier));
    }

    function test_SetRegions_MovesListings() public {
        vm.startPrank(orch);
        registry.register("u", regions(EU), services(H264, GPU));
        vm.expectEmit(address(registry));
        emit IServiceRegistry.Listed(H264, US, orch);
        registry.setRegions(regions(US));
        vm.stopPrank();
        assertEq(registry.orchestratorCount(H264, EU), 0);
        assertEq(registry.orchestratorCount(GPU, EU), 0);
        assertEq(registry.orchestratorCount(H264, US), 1);
        assertEq(registry.orchestratorCount(GPU, US), 1);
    }

    function test_SetServices_DropsRemoved() public {
        vm.startPrank(orch);
        registry.register("u", regions(EU), services(H264, GPU));
        registry.setServices(services(GPU, ownVerifier));
        vm.stopPrank();
        assertEq(registry.orchestratorCount(H264, EU), 0);
        assertEq(registry.orchestratorCount(GPU, EU), 1);
        assertEq(registry.verifierFor(orch, GPU), ownVerifier);
        assertEq(registry.verifierFor(orch, H264), verifier, "own choice cleared, default left");
    }

    function test_SetServiceURI() public {
        vm.prank(orch);
        registry.setServiceURI("https://new:1");
        assertEq(registry.serviceURI(orch), "https://new:1");
    }

    function test_Deregister() public {
        vm.startPrank(orch);
        registry.register("u", regions(EU, US), services(H264, GPU));
        registry.deregister();
        vm.stopPrank();
        assertEq(registry.orchestratorCount(H264, EU), 0);
        assertEq(registry.orchestratorCount(GPU, US), 0);
        assertEq(registry.servicesOf(orch).length, 0);
        assertEq(registry.regionsOf(orch).length, 0);
        assertEq(registry.serviceURI(orch), "");
    }

    function test_Delist_FormerOrchestrator() public {
        vm.prank(orch);
        registry.register("u", regions(EU), services(H264, address(0)));
        vm.startPrank(orch);
        bm.unbond(1000 ether); // the self-bond leaves only through a slashable lock
        bm.bond(0, orch2);
        vm.stopPrank();
        vm.expectEmit(address(registry));
        emit IServiceRegistry.Delisted(H264, EU, orch);
        vm.prank(makeAddr("anyone"));
        registry.delist(orch);
        assertEq(registry.orchestratorCount(H264, EU), 0);
        assertEq(registry.serviceURI(orch), "");
    }

    /// @dev Review L-5: a listing costs what an active orchestrator stakes. A 1-wei orchestrator can't
    /// advertise, so a spammer needs `minActiveStake` per identity.
    function test_RevertWhen_RegisteringBelowMinimumStake() public {
        address dust = makeAddr("dust");
        fundAndBond(dust, 1, dust);
        assertTrue(bm.isOrchestrator(dust));
        vm.expectRevert(
            abi.encodeWithSelector(IServiceRegistry.BelowMinimumStake.selector, 1, bm.minActiveStake())
        );
        vm.prank(dust);
        registry.register("u", regions(EU), services(H264, address(0)));
    }

    /// @dev An orchestrator whose pool fell below the minimum may be delisted by anyone; topped up, it
    /// may advertise again.
    function test_Delist_BelowMinimumStake() public {
        vm.prank(orch);
        registry.register("u", regions(EU), services(H264, address(0)));
        vm.prank(orch);
        bm.unbond(1 ether); // 999 LPT left, minimum 1,000
        assertTrue(bm.isOrchestrator(orch));
        vm.prank(makeAddr("anyone"));
        registry.delist(orch);
        assertEq(registry.orchestratorCount(H264, EU), 0);
        fund(orch, 1 ether);
        vm.prank(orch);
        bm.bond(1 ether, orch);
        vm.prank(orch);
        registry.register("u", regions(EU), services(H264, address(0)));
        assertEq(registry.orchestratorCount(H264, EU), 1);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.StillOrchestrator.selector, orch));
        registry.delist(orch);
    }

    function test_RevertWhen_DelistOrchestrator() public {
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.StillOrchestrator.selector, orch));
        registry.delist(orch);
    }

    function test_OrchestratorsFor_Pages() public {
        vm.prank(orch);
        registry.register("u", regions(EU), services(H264, address(0)));
        vm.prank(orch2);
        registry.register("u", regions(EU), services(H264, address(0)));
        address[] memory page = registry.orchestratorsFor(H264, EU, 1, 10);
        assertEq(page.length, 1);
        assertEq(page[0], orch2);
        assertEq(registry.orchestratorsFor(H264, EU, 0, 1).length, 1);
        assertEq(registry.orchestratorsFor(H264, EU, 5, 1).length, 0);
    }

    function test_RevertWhen_ZeroLimit() public {
        vm.expectRevert(IServiceRegistry.ZeroLimit.selector);
        registry.orchestratorsFor(H264, EU, 0, 0);
    }

    function test_RevertWhen_NotOrchestrator() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.NotOrchestrator.selector, stranger));
        registry.setServiceURI("u");
    }

    function test_RevertWhen_UnknownService() public {
        bytes32 unknown = keccak256("AV1 8K");
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.UnknownService.selector, unknown));
        registry.setServices(services(unknown, address(0)));
    }

    function test_RevertWhen_DuplicateService() public {
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.DuplicateEntry.selector, H264));
        registry.setServices(services(H264, H264));
    }

    function test_RevertWhen_DuplicateRegion() public {
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.DuplicateEntry.selector, EU));
        registry.setRegions(regions(EU, EU));
    }

    function test_RevertWhen_ZeroRegion() public {
        vm.prank(orch);
        vm.expectRevert(IServiceRegistry.ZeroId.selector);
        registry.setRegions(regions(bytes32(0)));
    }

    function test_RevertWhen_TooManyRegions() public {
        bytes32[] memory many = new bytes32[](9);
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.TooManyEntries.selector, 9, 8));
        registry.setRegions(many);
    }

    function test_RevertWhen_TooManyServices() public {
        IServiceRegistry.Service[] memory many = new IServiceRegistry.Service[](17);
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IServiceRegistry.TooManyEntries.selector, 17, 16));
        registry.setServices(many);
    }

    function test_RevertWhen_Paused() public {
        d.controller.pause();
        vm.prank(orch);
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        registry.setServiceURI("u");
    }

    function test_SetKnownService() public {
        vm.expectEmit(address(registry));
        emit IServiceRegistry.KnownServiceSet(H264, address(0), false);
        registry.setKnownService(H264, address(0), false);
        (bool known, address def) = registry.knownService(H264);
        assertFalse(known);
        assertEq(def, address(0));
    }

    function test_RevertWhen_SetKnownServiceZeroId() public {
        vm.expectRevert(IServiceRegistry.ZeroId.selector);
        registry.setKnownService(bytes32(0), address(0), true);
    }

    function test_RevertWhen_SetKnownServiceNotGovernance() public {
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, orch));
        registry.setKnownService(H264, address(0), true);
    }
}
