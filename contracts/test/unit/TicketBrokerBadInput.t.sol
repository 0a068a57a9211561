// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IControlled} from "../../src/interfaces/IControlled.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {TicketBrokerTestBase} from "../utils/TicketBrokerTestBase.sol";

/// @notice Every rejection of a ticket, each with its own error.
contract TicketBrokerBadInputTest is TicketBrokerTestBase {
    // ------------------------------------------------------------------ bad input

    function test_RevertWhen_WrongRecipient() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.WrongRecipient.selector, orch, orch2));
        redeemAs(orch2, t);
    }

    function test_RevertWhen_ZeroSender() public {
        TicketLib.Ticket memory tk = makeTicket(address(0), orch, 1 ether, ALWAYS, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.ZeroSender.selector)
        );
    }

    function test_RevertWhen_BadRandPreimage() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 43, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.InvalidRecipientRand.selector, tk.recipientRandHash)
        );
    }

    function test_RevertWhen_AlreadyUsed() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        redeemAs(orch, t);
        expectRedeemRevert(t, abi.encodeWithSelector(ITicketBroker.TicketUsed.selector, broker.ticketHash(t)));
    }

    function test_RevertWhen_BadSignature() public {
        (address other, uint256 otherKey) = makeAddrAndKey("other");
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(otherKey, tk)),
            abi.encodeWithSelector(ITicketBroker.InvalidSignature.selector, other, sender)
        );
    }

    function test_RevertWhen_CompactSignature() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(senderKey, digestOf(tk));
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, vs)),
            abi.encodeWithSelector(ITicketBroker.CompactSignatureUnsupported.selector)
        );
    }

    function test_RevertWhen_SignatureLengthWrong() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        bytes memory sig = abi.encodePacked(signTicket(senderKey, tk), uint8(0));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, sig),
            abi.encodeWithSelector(ITicketBroker.InvalidSignatureLength.selector, 66)
        );
    }

    function test_RevertWhen_HighS() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(senderKey, digestOf(tk));
        bytes32 highS = bytes32(N - uint256(s));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27))),
            abi.encodeWithSelector(ITicketBroker.SignatureHighS.selector, highS)
        );
    }

    function test_RevertWhen_BadV() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        (, bytes32 r, bytes32 s) = vm.sign(senderKey, digestOf(tk));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, s, uint8(1))),
            abi.encodeWithSelector(ITicketBroker.InvalidSignatureV.selector, 1)
        );
    }

    function test_RevertWhen_SignedForAnotherChain() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        bytes32 otherDomain = keccak256(
            abi.encode(
                TicketLib.DOMAIN_TYPEHASH,
                TicketLib.NAME_HASH,
                TicketLib.VERSION_HASH,
                block.chainid + 1,
                address(broker)
            )
        );
        assertSignedElsewhereFails(tk, otherDomain);
    }

    function test_RevertWhen_SignedForAnotherBroker() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        bytes32 otherDomain = keccak256(
            abi.encode(
                TicketLib.DOMAIN_TYPEHASH,
                TicketLib.NAME_HASH,
                TicketLib.VERSION_HASH,
                block.chainid,
                address(0xB0B)
            )
        );
        assertSignedElsewhereFails(tk, otherDomain);
    }

    function assertSignedElsewhereFails(TicketLib.Ticket memory tk, bytes32 otherDomain) internal {
        bytes32 otherDigest = TicketLib.digest(otherDomain, TicketLib.structHash(tk));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(senderKey, otherDigest);
        address wrongSigner = ecrecover(digestOf(tk), v, r, s);
        assertNotEq(wrongSigner, sender);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, s, v)),
            abi.encodeWithSelector(ITicketBroker.InvalidSignature.selector, wrongSigner, sender)
        );
    }

    function test_RevertWhen_NotWinning() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, 0, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.TicketNotWinning.selector)
        );
    }

    function test_RevertWhen_Expired() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        uint256 created = round();
        for (uint256 i; i < VALIDITY; ++i) {
            nextRound();
        }
        expectRedeemRevert(t, abi.encodeWithSelector(ITicketBroker.TicketExpired.selector, created, round()));
    }

    function test_RedeemOnLastValidRound() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        for (uint256 i; i + 1 < VALIDITY; ++i) {
            nextRound();
        }
        redeemAs(orch, t);
    }

    function test_RevertWhen_FutureCreationRound() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        tk.creationRound += 1;
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.FutureCreationRound.selector, round() + 1, round())
        );
    }

    function test_RevertWhen_UnknownCreationRound() public {
        vm.roll(block.number + ROUND_LENGTH); // round 2, never initialized
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        tk.creationRoundBlockHash = blockhash(block.number - 1);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.UnknownCreationRound.selector, round())
        );
    }

    function test_RevertWhen_CreationRoundBlockHashMismatch() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        tk.creationRoundBlockHash = keccak256("another block");
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(
                ITicketBroker.CreationRoundBlockHashMismatch.selector, round(), tk.creationRoundBlockHash
            )
        );
    }

    function test_RevertWhen_RecipientNotActive() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch2, 1 ether, ALWAYS, 1, 42);
        bytes memory t = TicketLib.pack(tk, 42, signTicket(senderKey, tk));
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.RecipientNotActive.selector, orch2, round()));
        redeemAs(orch2, t);
    }

    function test_RevertWhen_InsufficientFunds() public {
        fund(1 ether, 0);
        expectRedeemRevert(
            ticket(2 ether, 1),
            abi.encodeWithSelector(ITicketBroker.InsufficientFunds.selector, 1 ether, 2 ether)
        );
    }

    function test_RevertWhen_MalformedTicket() public {
        expectRedeemRevert(
            new bytes(191), abi.encodeWithSelector(ITicketBroker.MalformedTicket.selector, 191)
        );
    }

    function test_RevertWhen_Paused() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        d.controller.pause();
        expectRedeemRevert(t, abi.encodeWithSelector(IControlled.ProtocolIsPaused.selector));
    }
}
