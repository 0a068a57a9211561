// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FaultVerifier} from "../../src/FaultVerifier.sol";
import {LivepeerToken} from "../../src/LivepeerToken.sol";
import {RoundsManager} from "../../src/RoundsManager.sol";
import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {CommitteeVerifier} from "../../src/verifiers/CommitteeVerifier.sol";
import {StakeSlasherStub} from "../utils/StakeSlasherStub.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice Drives challenges through their whole life: open (committee or equivocation, fresh or
/// already-challenged segments), committee verdicts with 0..5 signatures, time passing, resolution
/// and withdrawal, by several challengers against several orchestrators. Ghost variables record
/// what went in and out so the invariant suite can compare them with the contracts.
contract FaultVerifierHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct Config {
        FaultVerifier fv;
        CommitteeVerifier committee;
        StakeSlasherStub staking;
        LivepeerToken token;
        RoundsManager rounds;
        bytes32 committeeService;
        bytes32 deterministicService;
    }

    Config internal cfg;
    address[] public orchestrators;
    uint256[] internal orchestratorKeys;
    address[] public challengers;
    uint256[] internal memberKeys; // sorted by member address

    mapping(address orchestrator => uint256) public nextSeq;
    mapping(uint256 challengeId => bytes32) public segmentOf;
    mapping(bytes32 segmentKey => uint256) public slashesOfSegment;
    uint256[] public challengeIds;

    // ghosts
    uint256 public ghostBondsPosted;
    uint256 public ghostBondsRefunded;
    uint256 public ghostBondsForfeited;
    uint256 public ghostWithdrawn;
    uint256 public ghostSlashed;
    uint256 public ghostPaidToChallengers;
    uint256 public ghostBurned;
    uint256 public ghostSlashCount;
    uint256 public ghostMaxSlashesPerSegment;
    /// @dev Slashes of a receipt created at or before the round of its orchestrator's previous slash
    /// (the burst bound allows none), and faults the bound covered instead.
    uint256 public ghostSlashesInsideBurst;
    uint256 public ghostCovered;
    mapping(address orchestrator => uint256 round) internal coveredBefore;
    uint256 public ghostDoubleChallengesRejected;

    constructor(
        Config memory cfg_,
        address[] memory orchestrators_,
        uint256[] memory orchestratorKeys_,
        address[] memory challengers_,
        uint256[] memory memberKeys_
    ) {
        cfg = cfg_;
        orchestrators = orchestrators_;
        orchestratorKeys = orchestratorKeys_;
        challengers = challengers_;
        memberKeys = memberKeys_;
    }

    // ------------------------------------------------------------------ actions

    function openCommittee(uint256 orchSeed, uint256 challSeed, bool reuse) external {
        (address o, uint256 key) = _orchestrator(orchSeed);
        uint256 seq = reuse && nextSeq[o] != 0 ? nextSeq[o] - 1 : nextSeq[o]++;
        SegmentReceipt.Receipt memory r = _receipt(o, seq, cfg.committeeService, keccak256(abi.encode(seq)));
        _open(r, _sign(key, cfg.fv.receiptDigest(r)), "", _challenger(challSeed));
    }

    function openEquivocation(uint256 orchSeed, uint256 challSeed) external {
        (address o, uint256 key) = _orchestrator(orchSeed);
        uint256 seq = nextSeq[o]++;
        SegmentReceipt.Receipt memory r = _receipt(o, seq, cfg.deterministicService, keccak256("honest"));
        SegmentReceipt.Receipt memory other = _receipt(o, seq, cfg.deterministicService, keccak256("forged"));
        other.streamId = keccak256("elsewhere");
        bytes memory evidence =
            abi.encode(other, _sign(key, cfg.fv.receiptDigest(other)), uint256(0), uint256(0));
        _open(r, _sign(key, cfg.fv.receiptDigest(r)), evidence, _challenger(challSeed));
    }

    function submitVerdict(uint256 idSeed, bool fault, uint256 signers) external {
        if (challengeIds.length == 0) return;
        uint256 id = challengeIds[idSeed % challengeIds.length];
        signers = signers % (memberKeys.length + 1);
        bytes32 digest = cfg.committee.verdictDigest(id, fault);
        bytes[] memory sigs = new bytes[](signers);
        for (uint256 i; i < signers; ++i) {
            sigs[i] = _sign(memberKeys[i], digest);
        }
        try cfg.committee.submitVerdict(id, fault, sigs) {} catch {}
    }

    function resolve(uint256 idSeed) external {
        if (challengeIds.length == 0) return;
        uint256 id = challengeIds[idSeed % challengeIds.length];
        (uint256 held, uint256 supply, uint256 paid) = _balances();
        try cfg.fv.resolve(id) {
            _settled(id, held, supply, paid);
        } catch {}
    }

    function advance(uint256 blocks) external {
        vm.roll(block.number + 1 + blocks % 200);
    }

    function withdraw(uint256 actorSeed) external {
        address a = actorSeed % 2 == 0
            ? _challenger(actorSeed / 2)
            : orchestrators[(actorSeed / 2) % orchestrators.length];
        uint256 credit = cfg.fv.creditOf(a);
        if (credit == 0) return;
        vm.prank(a);
        cfg.fv.withdraw();
        ghostWithdrawn += credit;
    }

    // ------------------------------------------------------------------ views for the invariants

    function challengeCount() external view returns (uint256) {
        return challengeIds.length;
    }

    function orchestratorCount() external view returns (uint256) {
        return orchestrators.length;
    }

    function challengerCount() external view returns (uint256) {
        return challengers.length;
    }

    // ------------------------------------------------------------------ internals

    function _open(SegmentReceipt.Receipt memory r, bytes memory sig, bytes memory evidence, address who)
        internal
    {
        bytes32 key = keccak256(abi.encode(r.orchestrator, r.broadcaster, r.streamId, r.seqNo));
        uint256 earlier = cfg.fv.challengeOfSegment(key);
        bool seen = earlier != 0;
        uint256 bond = cfg.fv.params().challengeBond;
        (uint256 held, uint256 supply, uint256 paid) = _balances();
        vm.deal(who, who.balance + bond);
        vm.prank(who);
        try cfg.fv.openChallenge{value: bond}(r, sig, evidence) returns (uint256 id) {
            require(!seen, "second challenge of a segment opened");
            ghostBondsPosted += bond;
            challengeIds.push(id);
            segmentOf[id] = key;
            if (cfg.fv.getChallenge(id).status != IFaultVerifier.Status.Pending) {
                _settled(id, held, supply, paid);
            }
        } catch (bytes memory reason) {
            bytes memory expected =
                abi.encodeWithSelector(IFaultVerifier.SegmentAlreadyChallenged.selector, key, earlier);
            if (seen && keccak256(reason) == keccak256(expected)) {
                ++ghostDoubleChallengesRejected;
            }
        }
    }

    function _settled(uint256 id, uint256 heldBefore, uint256 supplyBefore, uint256 paidBefore) internal {
        IFaultVerifier.Challenge memory c = cfg.fv.getChallenge(id);
        if (c.status == IFaultVerifier.Status.Slashed) {
            ghostBondsRefunded += c.bond;
            ++ghostSlashCount;
            uint256 n = ++slashesOfSegment[segmentOf[id]];
            if (n > ghostMaxSlashesPerSegment) ghostMaxSlashesPerSegment = n;
            if (c.creationRound < coveredBefore[c.orchestrator]) ++ghostSlashesInsideBurst;
            coveredBefore[c.orchestrator] = cfg.rounds.currentRound() + 1;
        } else if (c.status == IFaultVerifier.Status.Covered) {
            ghostBondsRefunded += c.bond;
            ++ghostCovered;
        } else if (c.status == IFaultVerifier.Status.Rejected) {
            ghostBondsForfeited += c.bond; // burned whole
        } else if (c.status == IFaultVerifier.Status.Dismissed) {
            uint256 burned = c.bond * cfg.fv.NO_DECISION_BURN_PPM() / 1e6;
            ghostBondsRefunded += c.bond - burned;
            ghostBondsForfeited += burned;
        }
        (uint256 held, uint256 supply, uint256 paid) = _balances();
        ghostSlashed += heldBefore - held;
        ghostBurned += supplyBefore - supply;
        ghostPaidToChallengers += paid - paidBefore;
    }

    /// @dev LPT held by staking, LPT supply, LPT held by all challengers.
    function _balances() internal view returns (uint256 held, uint256 supply, uint256 paid) {
        held = cfg.token.balanceOf(address(cfg.staking));
        supply = cfg.token.totalSupply();
        for (uint256 i; i < challengers.length; ++i) {
            paid += cfg.token.balanceOf(challengers[i]);
        }
    }

    function _orchestrator(uint256 seed) internal view returns (address, uint256) {
        uint256 i = seed % orchestrators.length;
        return (orchestrators[i], orchestratorKeys[i]);
    }

    function _challenger(uint256 seed) internal view returns (address) {
        return challengers[seed % challengers.length];
    }

    function _receipt(address o, uint256 seq, bytes32 service, bytes32 output)
        internal
        view
        returns (SegmentReceipt.Receipt memory r)
    {
        r.broadcaster = address(0xB0B);
        r.orchestrator = o;
        r.streamId = keccak256("stream");
        r.seqNo = seq;
        r.inputHash = keccak256(abi.encode("input", seq));
        r.serviceId = service;
        r.renditions = new SegmentReceipt.Rendition[](1);
        r.renditions[0] = SegmentReceipt.Rendition({
            profile: keccak256("720p"), outputHash: output, pixels: 1280 * 720 * 60
        });
        r.ticket = SegmentReceipt.TicketParams({
            faceValue: 1 ether,
            winProb: type(uint256).max / 100,
            senderNonce: seq,
            recipientRandHash: keccak256("rand"),
            creationRound: cfg.rounds.currentRound()
        });
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}
