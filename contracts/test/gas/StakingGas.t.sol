// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IServiceRegistry} from "../../src/interfaces/IServiceRegistry.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice Gas of the staking hot paths with 10, 1,000 and 10,000 orchestrators registered (bonded,
/// active and listed under the same service and region). Each measured call starts from cold
/// accounts (`vm.cool`), as a real transaction does. Recorded in `snapshots/staking.json`; the cost
/// must not grow with the number of orchestrators.
abstract contract StakingGasBase is StakingFixture {
    bytes32 internal constant SERVICE = keccak256("H264 1080p->720p");
    bytes32 internal constant REGION = keccak256("eu-west");

    address internal orch;
    address internal alice;
    address internal newcomer;

    function orchestrators() internal pure virtual returns (uint256);

    function orchestratorAt(uint256 i) internal pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return address(uint160(0x100000 + i)); // i < 10,000: no truncation
    }

    function setUp() public {
        StakingConfig memory config = _defaultStakingConfig();
        config.minActiveStake = 100 ether;
        deployStaking(config);
        registry.setKnownService(SERVICE, address(0), true);
        vm.pauseGasMetering();
        uint256 n = orchestrators();
        uint256 stake = 200 ether;
        bytes32[] memory regions = new bytes32[](1);
        regions[0] = REGION;
        IServiceRegistry.Service[] memory services = new IServiceRegistry.Service[](1);
        services[0] = IServiceRegistry.Service({id: SERVICE, verifier: address(0)});
        for (uint256 i; i < n; ++i) {
            address o = orchestratorAt(i);
            d.token.transfer(o, stake);
            vm.startPrank(o);
            d.token.approve(address(bm), stake);
            bm.bond(stake, o);
            registry.register("https://o.example:8935", regions, services);
            vm.stopPrank();
        }
        vm.resumeGasMetering();
        orch = orchestratorAt(n / 2);
        alice = makeAddr("alice");
        newcomer = makeAddr("newcomer");
        fund(alice, 10_000 ether);
        fundAndBond(newcomer, 2000 ether, newcomer);
        vm.prank(orch);
        bm.announceCuts(100_000, 500_000); // keeps 10% of rewards, shares 50% of fees
        // Entering stake is young for an unbonding period: let the setup's stake mature, and let the
        // pools take it in (each pool matures an entry at its first touch of a round, measured
        // separately below).
        waitMaturity();
        bm.checkpoint(orch);
        bm.checkpoint(newcomer);
    }

    function coolAll() internal {
        vm.cool(address(bm));
        vm.cool(s.bondingManagerImplementation);
        vm.cool(address(minter));
        vm.cool(s.minterImplementation);
        vm.cool(address(registry));
        vm.cool(s.serviceRegistryImplementation);
        vm.cool(address(d.controller));
        vm.cool(address(d.token));
        vm.cool(d.tokenImplementation);
        vm.cool(address(d.rounds));
        vm.cool(d.roundsImplementation);
        vm.cool(address(broker));
    }

    function test_Gas() public {
        string memory n = vm.toString(orchestrators());
        assertEq(bm.activeOrchestratorCount(round()), orchestrators() + 1);
        assertEq(registry.orchestratorCount(SERVICE, REGION), orchestrators());

        // Entering stake is young: the first bond of a round into a pool opens the pool's maturity
        // entry for that round (one fresh slot); later bonds of the round join it.
        coolAll();
        vm.prank(alice);
        bm.bond(1000 ether, orch);
        vm.snapshotGasLastCall("staking", string.concat("bond (new delegator), ", n));

        coolAll();
        vm.prank(alice);
        bm.bond(1000 ether, orch);
        vm.snapshotGasLastCall("staking", string.concat("bond (add), ", n));

        coolAll();
        broker.credit(orch, 1 ether, round()); // fee factors become non-zero
        vm.snapshotGasLastCall("staking", string.concat("creditFees (first credit of the pool), ", n));
        vm.prank(orch);
        bm.claimEarnings(); // the orchestrator's own checkpoint now holds non-zero fee factors
        address bob = makeAddr("bob");
        fund(bob, 1000 ether);
        coolAll();
        vm.prank(bob);
        bm.bond(1000 ether, orch);
        vm.snapshotGasLastCall("staking", string.concat("bond (new delegator, pool with fees), ", n));

        // The stake matures: the pool's next touch matures its entry (here `reward`, often the first
        // touch of a round). Both measured: with the entry already matured, and maturing it.
        waitMaturity();
        // The first staking call of a round network-wide refreshes the BondingManager's round cache
        // (one RoundsManager call, one slot write), and the round's first `reward` has the Minter fix
        // the round's mint: both once per round for everyone. Measured on another pool, so the calls
        // below are the usual, later ones of their round.
        coolAll();
        vm.prank(orchestratorAt(0));
        bm.reward();
        vm.snapshotGasLastCall(
            "staking", string.concat("reward, first of the round network-wide (round cache, round mint), ", n)
        );
        uint256 snap = vm.snapshotState();
        coolAll();
        vm.prank(orch);
        bm.reward();
        vm.snapshotGasLastCall("staking", string.concat("reward (maturing one entry), ", n));
        vm.revertToState(snap);
        bm.checkpoint(orch);
        coolAll();
        vm.prank(orch);
        bm.reward();
        vm.snapshotGasLastCall("staking", string.concat("reward, ", n));

        coolAll();
        broker.credit(orch, 1 ether, round());
        vm.snapshotGasLastCall("staking", string.concat("creditFees, ", n));

        coolAll();
        vm.prank(alice);
        bm.claimEarnings();
        vm.snapshotGasLastCall("staking", string.concat("claimEarnings, ", n));

        coolAll();
        vm.prank(alice);
        uint256 lockId = bm.unbond(500 ether);
        vm.snapshotGasLastCall("staking", string.concat("unbond, ", n));

        coolAll();
        vm.prank(alice);
        bm.rebond(lockId);
        vm.snapshotGasLastCall("staking", string.concat("rebond, ", n));

        coolAll();
        vm.prank(orch);
        bm.announceCuts(50_000, 500_000);
        vm.snapshotGasLastCall("staking", string.concat("announceCuts, ", n));

        coolAll();
        vm.prank(alice);
        uint256 tail = bm.redelegate(newcomer);
        vm.snapshotGasLastCall("staking", string.concat("redelegate, ", n));

        advanceRounds(cfg.unbondingPeriod);
        bm.checkpoint(orchestratorAt(0)); // someone's first call of the round refreshed the round cache
        coolAll();
        vm.prank(alice);
        bm.withdrawStake(tail);
        vm.snapshotGasLastCall("staking", string.concat("withdrawStake, ", n));

        bytes32[] memory regions = new bytes32[](1);
        regions[0] = REGION;
        IServiceRegistry.Service[] memory services = new IServiceRegistry.Service[](1);
        services[0] = IServiceRegistry.Service({id: SERVICE, verifier: address(0)});
        snap = vm.snapshotState();
        coolAll();
        vm.prank(newcomer);
        registry.register("https://newcomer.example:8935", regions, services);
        vm.snapshotGasLastCall("staking", string.concat("service registration (uri, region, service), ", n));
        vm.revertToState(snap);

        vm.startPrank(newcomer);
        registry.setServiceURI("https://newcomer.example:8935");
        registry.setRegions(regions);
        vm.stopPrank();
        coolAll();
        vm.prank(newcomer);
        registry.setServices(services);
        vm.snapshotGasLastCall("staking", string.concat("service registration (setServices), ", n));
    }
}

contract StakingGas10Test is StakingGasBase {
    function orchestrators() internal pure override returns (uint256) {
        return 10;
    }
}

contract StakingGas1000Test is StakingGasBase {
    function orchestrators() internal pure override returns (uint256) {
        return 1000;
    }
}

contract StakingGas10000Test is StakingGasBase {
    function orchestrators() internal pure override returns (uint256) {
        return 10_000;
    }
}
