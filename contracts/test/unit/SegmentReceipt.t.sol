// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SegmentReceipt} from "../../src/libraries/SegmentReceipt.sol";
import {VerifierFixture} from "../utils/VerifierFixture.sol";

/// @notice The receipt encoding, recomputed by hand from the type string in
/// docs/fault-verification.md, so that a change to the struct that the docs (and the Rust side)
/// don't follow fails here.
contract SegmentReceiptTest is VerifierFixture {
    string internal constant TYPE_STRING = "SegmentReceipt(address broadcaster,address orchestrator,bytes32 streamId,"
        "uint256 seqNo,bytes32 inputHash,bytes32 serviceId,Rendition[] renditions,TicketParams ticket)"
        "Rendition(bytes32 profile,bytes32 outputHash,uint64 pixels)"
        "TicketParams(uint256 faceValue,uint256 winProb,uint256 senderNonce,bytes32 recipientRandHash,"
        "uint256 creationRound)";

    function setUp() public {
        deployVerifierProtocol();
    }

    function test_TypeHashIsTheDocumentedTypeString() public pure {
        assertEq(SegmentReceipt.RECEIPT_TYPEHASH, keccak256(bytes(TYPE_STRING)));
    }

    function test_DigestMatchesHandEncoding() public view {
        SegmentReceipt.Receipt memory r = _receipt(7, COMMITTEE_SERVICE, keccak256("out"));
        bytes32 renditionsHash = keccak256(
            abi.encodePacked(
                keccak256(
                    abi.encode(
                        keccak256("Rendition(bytes32 profile,bytes32 outputHash,uint64 pixels)"),
                        r.renditions[0].profile,
                        r.renditions[0].outputHash,
                        r.renditions[0].pixels
                    )
                ),
                keccak256(
                    abi.encode(
                        keccak256("Rendition(bytes32 profile,bytes32 outputHash,uint64 pixels)"),
                        r.renditions[1].profile,
                        r.renditions[1].outputHash,
                        r.renditions[1].pixels
                    )
                )
            )
        );
        bytes32 ticketHash = keccak256(
            abi.encode(
                keccak256(
                    "TicketParams(uint256 faceValue,uint256 winProb,uint256 senderNonce,bytes32 recipientRandHash,uint256 creationRound)"
                ),
                r.ticket.faceValue,
                r.ticket.winProb,
                r.ticket.senderNonce,
                r.ticket.recipientRandHash,
                r.ticket.creationRound
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(bytes(TYPE_STRING)),
                r.broadcaster,
                r.orchestrator,
                r.streamId,
                r.seqNo,
                r.inputHash,
                r.serviceId,
                renditionsHash,
                ticketHash
            )
        );
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("Streamflow FaultVerifier"),
                keccak256("1"),
                block.chainid,
                address(fv)
            )
        );
        assertEq(fv.domainSeparator(), domain);
        assertEq(fv.receiptDigest(r), keccak256(abi.encodePacked(hex"1901", domain, structHash)));
    }

    function test_EmptyRenditionsHashToKeccakOfNothing() public view {
        SegmentReceipt.Receipt memory r = _receipt(7, COMMITTEE_SERVICE, keccak256("out"));
        SegmentReceipt.Receipt memory empty = _receipt(7, COMMITTEE_SERVICE, keccak256("out"));
        empty.renditions = new SegmentReceipt.Rendition[](0);
        assertNotEq(fv.receiptDigest(r), fv.receiptDigest(empty));
    }

    /// @dev External so the library hashes a calldata receipt, as the FaultVerifier does.
    function structHashOf(SegmentReceipt.Receipt calldata r) external pure returns (bytes32) {
        return SegmentReceipt.hash(r);
    }

    /// @dev The test vector in docs/fault-verification.md, for the Rust side.
    function test_DocumentedVector() public {
        SegmentReceipt.Receipt memory r;
        r.broadcaster = 0x1111111111111111111111111111111111111111;
        r.orchestrator = 0x2222222222222222222222222222222222222222;
        r.streamId = keccak256("stream-1");
        r.seqNo = 7;
        r.inputHash = keccak256("input");
        r.serviceId = keccak256("H264 1080p->720p");
        r.renditions = new SegmentReceipt.Rendition[](2);
        r.renditions[0] = SegmentReceipt.Rendition({
            profile: keccak256("720p30 H264 3000kbps"),
            outputHash: keccak256("output-720"),
            pixels: 55_296_000
        });
        r.renditions[1] = SegmentReceipt.Rendition({
            profile: keccak256("360p30 H264 800kbps"), outputHash: keccak256("output-360"), pixels: 13_824_000
        });
        r.ticket = SegmentReceipt.TicketParams({
            faceValue: 1 ether,
            winProb: 2 ** 255,
            senderNonce: 7,
            recipientRandHash: keccak256("rand"),
            creationRound: 42
        });
        vm.chainId(31_337);
        bytes32 domain = SegmentReceipt.domainSeparator(
            keccak256("Streamflow FaultVerifier"), keccak256("1"), 0x3333333333333333333333333333333333333333
        );
        bytes32 structHash = this.structHashOf(r);
        assertEq(
            SegmentReceipt.RECEIPT_TYPEHASH,
            0xd9308878d06b0219501eb4d1eb92eb80df15e6f9dbbf705d3c56d092b52518a7,
            "typehash"
        );
        assertEq(
            structHash, 0xafe74c2cf535ad3b154decca5beb0530d656b50e2636c0879def4311751d0771, "struct hash"
        );
        assertEq(
            domain, 0x083f1b6c6265ea44b9852acec7f4ed85f03776f08b3f19aad019c852f72d6ff8, "domain separator"
        );
        assertEq(
            SegmentReceipt.toTypedDataHash(domain, structHash),
            0x33337eb2b080335d8561b74fc1d14c1a9e32ec673af6489b11c84926b841b0b4,
            "digest"
        );
    }
}
