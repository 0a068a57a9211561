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
}
