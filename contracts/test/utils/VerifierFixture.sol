// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {VerifierDeployer} from "../../../script/VerifierDeployer.sol";
import {FaultVerifier} from "../../src/FaultVerifier.sol";
import {IFaultVerifier} from "../../src/interfaces/IFaultVerifier.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {CommitteeVerifier} from "../../src/verifiers/CommitteeVerifier.sol";
import {EquivocationVerifier} from "../../src/verifiers/EquivocationVerifier.sol";
import {Deployers} from "./Deployers.sol";
import {ServiceVerifiersStub} from "./ServiceVerifiersStub.sol";
import {StakeSlasherStub} from "./StakeSlasherStub.sol";

/// @title VerifierFixture
/// @notice The protocol (Deployers) plus fault verification (VerifierDeployer), with the staking and
/// registry stand-ins registered under BONDING_MANAGER and SERVICE_REGISTRY, a bonded orchestrator,
/// a funded challenger and a 3-of-5 committee. Helpers build, sign and challenge receipts.
abstract contract VerifierFixture is Deployers, VerifierDeployer {
    bytes32 internal constant DETERMINISTIC_SERVICE = keccak256("H264 1080p->720p");
    bytes32 internal constant COMMITTEE_SERVICE = keccak256("H264 1080p->720p GPU");
    bytes32 internal constant PROFILE_720P = keccak256("720p30 H264 3000kbps");
    bytes32 internal constant PROFILE_360P = keccak256("360p30 H264 800kbps");
    uint256 internal constant UNBONDING_PERIOD = 7;
    uint64 internal constant WINDOW = 5;
    uint96 internal constant BOND = 0.1 ether;
    uint32 internal constant SLASH_PPM = 100_000; // 10%
    uint32 internal constant FINDER_PPM = 500_000; // 50% of the slashed amount
    uint256 internal constant ORCHESTRATOR_STAKE = 10_000 ether;
    uint256 internal constant DELEGATOR_STAKE = 30_000 ether;
    uint256 internal constant VERDICT_PERIOD = 100;
    uint256 internal constant COMMITTEE_SIZE = 5;
    uint256 internal constant THRESHOLD = 3;

    VerifierDeployment internal v;
    FaultVerifier internal fv;
    StakeSlasherStub internal staking;
    ServiceVerifiersStub internal registry;

    address internal orchestrator;
    uint256 internal orchestratorKey;
    address internal delegator;
    address internal challenger;
    /// @dev Committee members sorted by address ascending, with their keys.
    address[] internal members;
    uint256[] internal memberKeys;

    function deployVerifierProtocol() internal {
        deployProtocol();
        staking = new StakeSlasherStub(d.controller, UNBONDING_PERIOD);
        registry = new ServiceVerifiersStub();
        d.controller.setContract(ContractIds.BONDING_MANAGER, address(staking));
        d.controller.setContract(ContractIds.SERVICE_REGISTRY, address(registry));

        _makeCommittee();
        v = _deployVerifier(
            d.controller,
            VerifierConfig({
                params: defaultParams(),
                committee: members,
                committeeThreshold: THRESHOLD,
                verdictPeriodBlocks: VERDICT_PERIOD
            })
        );
        fv = v.faultVerifier;
        v.equivocation.setDeterministic(DETERMINISTIC_SERVICE, true);
        registry.setDefault(DETERMINISTIC_SERVICE, address(v.equivocation));
        registry.setDefault(COMMITTEE_SERVICE, address(v.committee));

        (orchestrator, orchestratorKey) = makeAddrAndKey("orchestrator");
        delegator = makeAddr("delegator");
        challenger = makeAddr("challenger");
        _bond(orchestrator, orchestrator, ORCHESTRATOR_STAKE);
        _bond(delegator, orchestrator, DELEGATOR_STAKE);
        vm.deal(challenger, 100 ether);
    }

    function defaultParams() internal pure returns (IFaultVerifier.Params memory) {
        return IFaultVerifier.Params({
            challengeWindowRounds: WINDOW,
            challengeBond: BOND,
            slashFractionPpm: SLASH_PPM,
            finderFeePpm: FINDER_PPM
        });
    }

    function _makeCommittee() private {
        for (uint256 i; i < COMMITTEE_SIZE; ++i) {
            (address m, uint256 k) = makeAddrAndKey(string.concat("member", vm.toString(i)));
            members.push(m);
            memberKeys.push(k);
        }
        // insertion sort by address, keys alongside
        for (uint256 i = 1; i < COMMITTEE_SIZE; ++i) {
            for (uint256 j = i; j > 0 && members[j - 1] > members[j]; --j) {
                (members[j - 1], members[j]) = (members[j], members[j - 1]);
                (memberKeys[j - 1], memberKeys[j]) = (memberKeys[j], memberKeys[j - 1]);
            }
        }
    }

    function _bond(address from, address to, uint256 amount) internal {
        d.token.transfer(from, amount);
        vm.startPrank(from);
        d.token.approve(address(staking), amount);
        staking.bond(to, amount);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ receipts

    /// @dev A receipt from `orchestrator` for segment `seqNo` of a fixed stream, two renditions.
    function _receipt(uint256 seqNo, bytes32 serviceId, bytes32 output720)
        internal
        view
        returns (SegmentReceipt.Receipt memory r)
    {
        r.broadcaster = makeAddrView("broadcaster");
        r.orchestrator = orchestrator;
        r.streamId = keccak256("stream-1");
        r.seqNo = seqNo;
        r.inputHash = keccak256(abi.encode("input", seqNo));
        r.serviceId = serviceId;
        r.renditions = new SegmentReceipt.Rendition[](2);
        r.renditions[0] =
            SegmentReceipt.Rendition({profile: PROFILE_720P, outputHash: output720, pixels: 1280 * 720 * 60});
        r.renditions[1] = SegmentReceipt.Rendition({
            profile: PROFILE_360P, outputHash: keccak256(abi.encode("360", seqNo)), pixels: 640 * 360 * 60
        });
        r.ticket = SegmentReceipt.TicketParams({
            faceValue: 1 ether,
            winProb: type(uint256).max / 100,
            senderNonce: seqNo,
            recipientRandHash: keccak256("rand"),
            creationRound: d.rounds.currentRound()
        });
    }

    function makeAddrView(string memory name) internal pure returns (address) {
        return address(uint160(uint256(keccak256(bytes(name)))));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v_, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v_);
    }

    function _signReceipt(uint256 key, SegmentReceipt.Receipt memory r) internal view returns (bytes memory) {
        return _sign(key, fv.receiptDigest(r));
    }

    function _openCommittee(uint256 seqNo) internal returns (uint256 id, SegmentReceipt.Receipt memory r) {
        r = _receipt(seqNo, COMMITTEE_SERVICE, keccak256(abi.encode("720", seqNo)));
        bytes memory sig = _signReceipt(orchestratorKey, r);
        vm.prank(challenger);
        id = fv.openChallenge{value: BOND}(r, sig, "");
    }

    /// @dev Evidence of an equivocation against `r`: the same segment signed with another 720p output.
    function _equivocationEvidence(SegmentReceipt.Receipt memory r) internal view returns (bytes memory) {
        SegmentReceipt.Receipt memory other = _receipt(r.seqNo, r.serviceId, keccak256("forged"));
        other.streamId = keccak256("stream-2");
        return abi.encode(other, _signReceipt(orchestratorKey, other), uint256(0), uint256(0));
    }

    function _verdictSignatures(uint256 challengeId, bool fault, uint256 n)
        internal
        view
        returns (bytes[] memory sigs)
    {
        bytes32 digest = v.committee.verdictDigest(challengeId, fault);
        sigs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            sigs[i] = _sign(memberKeys[i], digest);
        }
    }
}
