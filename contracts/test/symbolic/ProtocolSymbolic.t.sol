// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {Deployers} from "../utils/Deployers.sol";

/// @notice Symbolic properties (halmos) of the protocol plumbing, over every caller and amount.
/// Run with `tools/audit.py halmos`; each `check_*` is proved for all inputs, not sampled.
contract ProtocolSymbolic is Deployers {
    address internal minter = address(0x4D1);

    function setUp() public {
        deployProtocol();
        d.controller.setContract(ContractIds.MINTER, minter);
    }

    /// Only the registered Minter can increase LPT supply, whoever calls and whatever the amount.
    function check_OnlyMinterMints(address caller, address to, uint256 amount) public {
        uint256 supplyBefore = d.token.totalSupply();
        vm.prank(caller);
        (bool ok,) = address(d.token).call(abi.encodeCall(d.token.mint, (to, amount)));
        if (ok && amount != 0) assert(caller == minter);
        if (!ok) assert(d.token.totalSupply() == supplyBefore);
    }

    /// Transfers and burns never create LPT: supply is conserved or shrinks by exactly the burn.
    function check_TransferAndBurnConserveSupply(address to, uint256 sent, uint256 burned) public {
        uint256 supply = d.token.totalSupply();
        uint256 mine = d.token.balanceOf(address(this));
        (bool okT,) = address(d.token).call(abi.encodeCall(d.token.transfer, (to, sent)));
        assert(d.token.totalSupply() == supply);
        if (okT && to != address(this)) assert(d.token.balanceOf(address(this)) == mine - sent);
        (bool okB,) = address(d.token).call(abi.encodeCall(d.token.burn, (burned)));
        assert(d.token.totalSupply() == (okB ? supply - burned : supply));
    }

    /// Only governance can register contracts or pause, whoever calls.
    function check_OnlyGovernanceControls(address caller, bytes32 id, address addr) public {
        vm.assume(caller != governance);
        vm.prank(caller);
        (bool okSet,) = address(d.controller).call(abi.encodeCall(d.controller.setContract, (id, addr)));
        vm.prank(caller);
        (bool okPause,) = address(d.controller).call(abi.encodeCall(d.controller.pause, ()));
        assert(!okSet && !okPause);
    }

    /// A round is initialized exactly once, by any two callers. (The Controller is excluded: as the
    /// proxies' admin it can't call through them at all, which halmos found on the first run.)
    function check_RoundInitializedOnce(address a, address b) public {
        vm.assume(a != address(d.controller) && b != address(d.controller));
        vm.prank(a);
        (bool first,) = address(d.rounds).call(abi.encodeCall(d.rounds.initializeRound, ()));
        vm.prank(b);
        (bool second,) = address(d.rounds).call(abi.encodeCall(d.rounds.initializeRound, ()));
        assert(first && !second);
    }
}
