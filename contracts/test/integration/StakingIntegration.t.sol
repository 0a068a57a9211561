// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {IServiceRegistry} from "../../src/interfaces/IServiceRegistry.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {FullDeployers} from "../utils/FullDeployers.sol";

/// @notice Shared setup: the full protocol, an orchestrator with 10k own and 30k delegated LPT
/// sharing 50% of its fees, a funded broadcaster key and a challenger.
abstract contract StakingIntegrationBase is FullDeployers {
    bytes32 internal constant SERVICE = keccak256("H264 1080p->720p");
    bytes32 internal constant PROFILE_720P = keccak256("720p30 H264 3000kbps");
    uint256 internal constant SELF = 10_000 ether;
    uint256 internal constant DELEGATED = 30_000 ether;

    address internal orch;
    uint256 internal orchKey;
    address internal delegator;
    address internal sender;
    uint256 internal senderKey;
    address internal challenger;

    function setUp() public virtual {
        deployFullProtocol();
        if (!full.core.rounds.currentRoundInitialized()) full.core.rounds.initializeRound();
        (orch, orchKey) = makeAddrAndKey("orch");
        (sender, senderKey) = makeAddrAndKey("sender");
        delegator = makeAddr("delegator");
        challenger = makeAddr("challenger");
        _bond(orch, SELF, orch);
        _bond(delegator, DELEGATED, orch);
        vm.prank(orch);
        full.staking.bondingManager.announceCuts(100_000, 500_000); // 50% of fees to the pool
        // the cut change waits an unbonding period (a delegator is bonded)
        _advance(full.staking.bondingManager.unbondingPeriod());
        vm.deal(sender, 100 ether);
        vm.deal(challenger, 10 ether);
    }

    function _bond(address who, uint256 amount, address to) internal {
        full.core.token.transfer(who, amount);
        vm.startPrank(who);
        full.core.token.approve(address(full.staking.bondingManager), amount);
        full.staking.bondingManager.bond(amount, to);
        vm.stopPrank();
    }

    function _round() internal view returns (uint256) {
        return full.core.rounds.currentRound();
    }

    function _advance(uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            vm.roll(full.core.rounds.currentRoundStartBlock() + FULL_ROUND_LENGTH);
            full.core.rounds.initializeRound();
        }
    }

    /// @dev `orch` redeems `ticket`; records the call's execution gas and the transaction's total
    /// (21,000 + calldata gas + execution) in snapshots/ticket-broker-real-staking.json.
    function _redeemAndRecordGas(string memory name, bytes memory ticket) internal {
        vm.prank(orch);
        full.broker.broker.redeemWinningTicket(ticket);
        uint256 execution =
            vm.snapshotGasLastCall("ticket-broker-real-staking", string.concat(name, " execution"));
        bytes memory input = abi.encodeCall(full.broker.broker.redeemWinningTicket, (ticket));
        uint256 cd;
        for (uint256 i; i < input.length; ++i) {
            cd += input[i] == 0 ? 4 : 16;
        }
        vm.snapshotValue(
            "ticket-broker-real-staking", string.concat(name, " total tx gas"), 21_000 + cd + execution
        );
    }

    // ------------------------------------------------------------------ (a) fees

    function _ticket(uint256 faceValue, uint32 nonce, uint256 rand) internal view returns (bytes memory) {
        uint256 r = _round();
        TicketLib.Ticket memory t = TicketLib.Ticket({
            recipient: orch,
            sender: sender,
            // forge-lint: disable-next-line(unsafe-typecast)
            faceValue: uint128(faceValue),
            winProb: type(uint256).max,
            senderNonce: nonce,
            recipientRandHash: keccak256(abi.encode(rand)),
            // forge-lint: disable-next-line(unsafe-typecast)
            creationRound: uint32(r),
            creationRoundBlockHash: full.core.rounds.blockHashForRound(r)
        });
        bytes32 digest = TicketLib.digest(full.broker.broker.domainSeparator(), TicketLib.structHash(t));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(senderKey, digest);
        return TicketLib.pack(t, rand, abi.encodePacked(rr, s, v));
    }
}

/// @notice The real contracts talking to each other: tickets redeemed at the TicketBroker credit
/// fees in the BondingManager, paid out through `withdrawFees -> payFees`; a fault proven at the
/// FaultVerifier (EquivocationVerifier) slashes the real pool pro rata, pays the finder, burns the rest.
contract StakingIntegrationTest is StakingIntegrationBase {
    function test_WinningTicketFeesReachOrchestratorAndDelegator() public {
        full.broker.broker.syncDependencies();
        vm.prank(sender);
        full.broker.broker.fundDepositAndReserve{value: 3 ether}(2 ether, 1 ether);
        assertTrue(full.staking.bondingManager.isActiveOrchestrator(orch, _round()));

        bytes memory t = _ticket(1 ether, 1, 42);
        vm.prank(orch);
        full.broker.broker.redeemWinningTicket(t);

        // The broker holds the fees until the pool's next touch, which collects and credits them.
        (uint256 heldRound, uint256 held,,) = full.broker.broker.pendingFees(orch);
        assertEq(heldRound, _round());
        assertEq(held, 1 ether);
        (,, uint256 before) = full.staking.bondingManager.delegatorInfo(delegator);
        assertEq(before, 0, "not credited before the touch");
        vm.prank(delegator);
        full.staking.bondingManager.claimEarnings();
        (, held,,) = full.broker.broker.pendingFees(orch);
        assertEq(held, 0, "taken by the touch");

        // 1 ETH: 50% to the orchestrator, 50% to the pool of 40k (10k own, 30k delegated)
        uint256 poolShare = 0.5 ether;
        uint256 orchFees = 0.5 ether + poolShare * SELF / (SELF + DELEGATED);
        uint256 delegatorFees = poolShare * DELEGATED / (SELF + DELEGATED);
        (,, uint256 f1) = full.staking.bondingManager.delegatorInfo(orch);
        (,, uint256 f2) = full.staking.bondingManager.delegatorInfo(delegator);
        assertApproxEqAbs(f1, orchFees, 2);
        assertApproxEqAbs(f2, delegatorFees, 2);

        address payable orchWallet = payable(makeAddr("orchWallet"));
        address payable delegatorWallet = payable(makeAddr("delegatorWallet"));
        vm.prank(orch);
        full.staking.bondingManager.withdrawFees(orchWallet, f1);
        vm.prank(delegator);
        full.staking.bondingManager.withdrawFees(delegatorWallet, f2);
        assertEq(orchWallet.balance, f1);
        assertEq(delegatorWallet.balance, f2);
        assertLe(f1 + f2, 1 ether);
    }

    // ------------------------------------------------------------------ (b) slash

    function _receipt(bytes32 output720, bytes32 streamId)
        internal
        view
        returns (SegmentReceipt.Receipt memory r)
    {
        r.broadcaster = sender;
        r.orchestrator = orch;
        r.streamId = streamId;
        r.seqNo = 1;
        r.inputHash = keccak256(abi.encode("input", uint256(1)));
        r.serviceId = SERVICE;
        r.renditions = new SegmentReceipt.Rendition[](1);
        r.renditions[0] =
            SegmentReceipt.Rendition({profile: PROFILE_720P, outputHash: output720, pixels: 1280 * 720 * 60});
        r.ticket = SegmentReceipt.TicketParams({
            faceValue: 1 ether,
            winProb: type(uint256).max / 100,
            senderNonce: 1,
            recipientRandHash: keccak256("rand"),
            creationRound: _round()
        });
    }

    function _signReceipt(SegmentReceipt.Receipt memory r) internal view returns (bytes memory) {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(orchKey, full.verifier.faultVerifier.receiptDigest(r));
        return abi.encodePacked(rr, s, v);
    }

    function test_EquivocationSlashesRealPoolProRataPaysFinderBurnsRest() public {
        full.verifier.equivocation.setDeterministic(SERVICE, true);
        full.staking.serviceRegistry.setKnownService(SERVICE, address(full.verifier.equivocation), true);
        bytes32[] memory regions = new bytes32[](1);
        regions[0] = keccak256("EU");
        IServiceRegistry.Service[] memory services = new IServiceRegistry.Service[](1);
        services[0] = IServiceRegistry.Service({id: SERVICE, verifier: address(0)});
        vm.prank(orch);
        full.staking.serviceRegistry.register("https://orch.example", regions, services);

        SegmentReceipt.Receipt memory r = _receipt(keccak256("good"), keccak256("stream-1"));
        SegmentReceipt.Receipt memory other = _receipt(keccak256("forged"), keccak256("stream-2"));
        bytes memory evidence = abi.encode(other, _signReceipt(other), uint256(0), uint256(0));

        IFaultVerifier.Params memory p = full.verifier.faultVerifier.params();
        uint256 total = SELF + DELEGATED;
        assertEq(full.staking.bondingManager.totalStakeOf(orch), total);
        uint256 slashed = total * p.slashFractionPpm / 1e6;
        // the finder fee is a share of the orchestrator's own penalty only
        uint256 fee = SELF * p.slashFractionPpm / 1e6 * p.finderFeePpm / 1e6;
        uint256 supply = full.core.token.totalSupply();

        bytes memory sig = _signReceipt(r);
        vm.prank(challenger);
        uint256 id = full.verifier.faultVerifier.openChallenge{value: p.challengeBond}(r, sig, evidence);

        assertEq(
            uint256(full.verifier.faultVerifier.getChallenge(id).status),
            uint256(IFaultVerifier.Status.Slashed)
        );
        assertEq(full.staking.bondingManager.totalStakeOf(orch), total - slashed);
        assertEq(full.core.token.balanceOf(challenger), fee, "finder paid");
        assertEq(full.core.token.totalSupply(), supply - (slashed - fee), "rest burned");
        (, uint256 own,) = full.staking.bondingManager.delegatorInfo(orch);
        (, uint256 del,) = full.staking.bondingManager.delegatorInfo(delegator);
        assertApproxEqAbs(own, SELF - SELF * p.slashFractionPpm / 1e6, 1);
        assertApproxEqAbs(del, DELEGATED - DELEGATED * p.slashFractionPpm / 1e6, 1);
        assertEq(full.staking.bondingManager.orchestratorInfo(orch).freezeCount, 0, "no freeze left");
    }
}

/// @notice The headline redemption costs with the real BondingManager behind the broker (the broker's
/// own gas suite uses a stand-in). Each measured call starts from cold accounts, as a transaction
/// does; the inputs are prepared in setUp. Recorded in snapshots/ticket-broker-real-staking.json.
contract BrokerRealStakingGasTest is StakingIntegrationBase {
    bytes internal later;

    function setUp() public override {
        super.setUp();
        full.broker.broker.syncDependencies();
        vm.prank(sender);
        full.broker.broker.fundDepositAndReserve{value: 30 ether}(20 ether, 10 ether);
        // A first redemption fills the broker's round cache and the orchestrator's fee slots.
        bytes memory warmUp = _ticket(1 ether, 1, 1);
        vm.prank(orch);
        full.broker.broker.redeemWinningTicket(warmUp);
        later = _ticket(1 ether, 2, 2);
    }

    function test_GasRedeemSingleLaterInRound() public {
        _redeemAndRecordGas("redeem single later", later);
    }
}
