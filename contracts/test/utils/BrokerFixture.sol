// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BrokerDeployer} from "../../../script/BrokerDeployer.sol";
import {TicketBroker} from "../../src/TicketBroker.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {ControlledProxy} from "../../src/proxy/ControlledProxy.sol";
import {Deployers} from "./Deployers.sol";
import {FeeIntakeStub} from "./FeeIntakeStub.sol";

/// @title BrokerFixture
/// @notice The protocol (Deployers) plus the staking stand-in and the TicketBroker, both behind
/// proxies, and helpers to make, sign and pack tickets.
abstract contract BrokerFixture is Deployers, BrokerDeployer {
    uint256 internal constant VALIDITY = 2;
    uint256 internal constant UNLOCK = 3;
    /// @dev Every draw wins.
    uint256 internal constant ALWAYS = type(uint256).max;

    TicketBroker internal broker;
    address internal brokerImplementation;
    FeeIntakeStub internal staking;
    address internal stakingImplementation;

    function deployBroker() internal {
        deployProtocol();
        IController c = IController(address(d.controller));
        FeeIntakeStub stubImpl = new FeeIntakeStub(c);
        stakingImplementation = address(stubImpl);
        staking = FeeIntakeStub(
            address(
                new ControlledProxy(
                    address(c), address(stubImpl), abi.encodeCall(FeeIntakeStub.initialize, ())
                )
            )
        );
        d.controller.setContract(ContractIds.BONDING_MANAGER, address(staking));
        BrokerDeployment memory b = _deployTicketBroker(
            d.controller, BrokerConfig({ticketValidityPeriod: VALIDITY, unlockPeriod: UNLOCK})
        );
        broker = b.broker;
        brokerImplementation = b.implementation;
    }

    // ------------------------------------------------------------------ rounds

    /// @dev Moves to the start of the next round and initializes it.
    function nextRound() internal {
        vm.roll(d.rounds.currentRoundStartBlock() + ROUND_LENGTH);
        d.rounds.initializeRound();
    }

    /// @dev Calldata gas of a transaction with `data` as input (4 per zero byte, 16 per other).
    function calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    function initRound() internal {
        if (!d.rounds.currentRoundInitialized()) d.rounds.initializeRound();
    }

    function round() internal view returns (uint256) {
        return d.rounds.currentRound();
    }

    // ------------------------------------------------------------------ tickets

    function makeTicket(
        address sender,
        address recipient,
        uint256 faceValue,
        uint256 winProb,
        uint32 nonce,
        uint256 rand
    ) internal view returns (TicketLib.Ticket memory t) {
        uint256 r = round();
        t = TicketLib.Ticket({
            recipient: recipient,
            sender: sender,
            // forge-lint: disable-next-line(unsafe-typecast) -- test inputs are bounded to uint128
            faceValue: uint128(faceValue),
            winProb: winProb,
            senderNonce: nonce,
            recipientRandHash: keccak256(abi.encode(rand)),
            // forge-lint: disable-next-line(unsafe-typecast) -- test rounds are small
            creationRound: uint32(r),
            creationRoundBlockHash: d.rounds.blockHashForRound(r)
        });
    }

    function digestOf(TicketLib.Ticket memory t) internal view returns (bytes32) {
        return TicketLib.digest(broker.domainSeparator(), TicketLib.structHash(t));
    }

    function signTicket(uint256 key, TicketLib.Ticket memory t) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digestOf(t));
        return abi.encodePacked(r, s, v);
    }

    function packSigned(uint256 key, TicketLib.Ticket memory t, uint256 rand)
        internal
        view
        returns (bytes memory)
    {
        return TicketLib.pack(t, rand, signTicket(key, t));
    }
}
