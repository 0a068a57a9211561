// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BrokerFixture} from "./BrokerFixture.sol";

/// @notice Shared setup of the TicketBroker unit suites: a funded sender with a key, two orchestrators
/// (the first active), a third-party funder, and helpers to fund, sign and redeem.
abstract contract TicketBrokerTestBase is BrokerFixture {
    event Funded(address indexed sender, address indexed funder, uint256 deposit, uint256 reserve);
    event TicketRedeemed(
        bytes32 indexed ticketHash,
        address indexed sender,
        address indexed recipient,
        uint256 faceValue,
        uint256 creationRound
    );
    event ReserveClaimed(
        address indexed sender, address indexed recipient, uint256 indexed round, uint256 amount
    );
    event Unlocked(address indexed sender, uint256 withdrawRound);
    event UnlockCancelled(address indexed sender);
    event Withdrawn(address indexed sender, uint256 deposit, uint256 reserve);
    event TicketRedemptionFailed(uint256 indexed index, bytes reason);
    event FeesPaid(address indexed to, uint256 amount);

    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal sender;
    uint256 internal senderKey;
    address internal orch;
    address internal orch2;
    address internal funder;

    function setUp() public {
        deployBroker();
        (sender, senderKey) = makeAddrAndKey("sender");
        orch = makeAddr("orch");
        orch2 = makeAddr("orch2");
        funder = makeAddr("funder");
        vm.deal(sender, 1000 ether);
        vm.deal(funder, 1000 ether);
        initRound();
        staking.setStake(orch, round(), 100);
    }

    function fund(uint256 deposit, uint256 reserve) internal {
        vm.prank(sender);
        broker.fundDepositAndReserve{value: deposit + reserve}(deposit, reserve);
    }

    function ticket(uint256 faceValue, uint32 nonce) internal view returns (bytes memory) {
        return packSigned(senderKey, makeTicket(sender, orch, faceValue, ALWAYS, nonce, 42), 42);
    }

    function redeemAs(address who, bytes memory t) internal {
        vm.prank(who);
        broker.redeemWinningTicket(t);
    }

    function expectRedeemRevert(bytes memory t, bytes memory err) internal {
        vm.expectRevert(err);
        redeemAs(orch, t);
    }
}
