// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManager} from "../../src/interfaces/IBondingManager.sol";
import {IServiceRegistry} from "../../src/interfaces/IServiceRegistry.sol";
import {FullDeployers} from "../utils/FullDeployers.sol";

/// @notice What a new orchestrator pays to join a freshly deployed protocol (the one `make demo`
/// deploys), recorded in `snapshots/onboarding.json` (gated in CI): its first self-bond and its first
/// service registration. Inputs are prepared in `setUp`, so the measured call is the first of its test
/// and everything it touches is cold, as in a real transaction. Total = 21,000 + calldata gas +
/// execution. The facts a client author relies on (who holds the LPT, a new orchestrator's cuts) are
/// asserted alongside.
abstract contract OnboardingGasBase is FullDeployers {
    bytes32 internal constant SERVICE = keccak256("H264 1080p->720p");
    uint256 internal constant STAKE = 1000 ether; // the default minimum active stake

    address internal orch;
    address internal other;
    IBondingManager internal bm;

    function setUp() public virtual {
        deployFullProtocol();
        full.core.rounds.initializeRound();
        bm = IBondingManager(address(full.staking.bondingManager));
        orch = makeAddr("orch");
        other = makeAddr("other");
        // Genesis: the whole supply is the deployer's (governance); it hands out LPT.
        assertEq(full.core.token.balanceOf(address(this)), FULL_GENESIS_SUPPLY);
        assertEq(full.core.token.totalSupply(), FULL_GENESIS_SUPPLY);
        assertEq(bm.minActiveStake(), STAKE);
        for (uint256 i; i < 2; ++i) {
            address who = i == 0 ? orch : other;
            full.core.token.transfer(who, STAKE);
            vm.prank(who);
            full.core.token.approve(address(bm), STAKE);
        }
    }

    function record(string memory name, bytes memory input) internal returns (uint256 total) {
        uint256 exec = vm.snapshotGasLastCall("onboarding", string.concat(name, " execution"));
        uint256 cd;
        for (uint256 i; i < input.length; ++i) {
            cd += input[i] == 0 ? 4 : 16;
        }
        total = 21_000 + cd + exec;
        vm.snapshotValue("onboarding", string.concat(name, " total tx gas"), total);
    }
}

/// @notice A new orchestrator's first `bond(1000 LPT, itself)`, its LPT received and approved before.
contract OnboardingGasTest is OnboardingGasBase {
    /// @dev The network's first orchestrator: its `bond(1000 LPT, itself)` also opens the network's
    /// active-set totals.
    function test_GasFirstSelfBondOnANewNetwork() public {
        vm.prank(orch);
        bm.bond(STAKE, orch);
        record("first self-bond, first orchestrator of the network", abi.encodeCall(bm.bond, (STAKE, orch)));
        IBondingManager.OrchestratorView memory o = bm.orchestratorInfo(orch);
        assertTrue(o.registered);
        assertEq(o.totalStake, STAKE);
        // A new orchestrator keeps no reward cut and shares no fees until it announces cuts.
        assertEq(o.rewardCut, 0);
        assertEq(o.feeShare, 0);
    }

    /// @dev A later orchestrator's first self-bond (another pool already exists).
    function test_GasFirstSelfBondLaterOrchestrator() public {
        vm.prank(other);
        bm.bond(STAKE, other);
        vm.prank(orch);
        bm.bond(STAKE, orch);
        record("first self-bond, later orchestrator", abi.encodeCall(bm.bond, (STAKE, orch)));
    }
}

/// @notice A bonded orchestrator's first `register`: one URI, one region, one service (known to
/// governance, default verifier), the first listing of that (service, region) set.
contract OnboardingRegisterGasTest is OnboardingGasBase {
    bytes32[] internal regions;
    IServiceRegistry.Service[] internal services;

    function setUp() public override {
        super.setUp();
        vm.prank(orch);
        bm.bond(STAKE, orch);
        // A fresh deployment knows no service: governance adds each before anyone can list it.
        full.staking.serviceRegistry.setKnownService(SERVICE, address(0), true);
        regions.push(keccak256("eu-west"));
        services.push(IServiceRegistry.Service({id: SERVICE, verifier: address(0)}));
    }

    function test_GasFirstRegistration() public {
        IServiceRegistry registry = IServiceRegistry(address(full.staking.serviceRegistry));
        vm.prank(orch);
        registry.register("https://orch.example:8935", regions, services);
        record(
            "first registration, 1 region 1 service",
            abi.encodeCall(registry.register, ("https://orch.example:8935", regions, services))
        );
        assertEq(registry.orchestratorCount(SERVICE, regions[0]), 1);
    }
}
