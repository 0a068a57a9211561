// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILivepeerToken} from "../../src/interfaces/ILivepeerToken.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {Deployers} from "../utils/Deployers.sol";
import {
    ERC20PermitUpgradeable
} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20PermitUpgradeable.sol";

contract LivepeerTokenTest is Deployers {
    event Minted(address indexed to, uint256 amount);

    address internal minter;

    function setUp() public {
        deployProtocol();
        minter = makeAddr("minter");
        d.controller.setContract(ContractIds.MINTER, minter);
    }

    function test_Metadata() public view {
        assertEq(d.token.name(), "Livepeer Token");
        assertEq(d.token.symbol(), "LPT");
        assertEq(d.token.decimals(), 18);
        assertEq(d.token.totalSupply(), GENESIS_SUPPLY);
        assertEq(d.token.balanceOf(governance), GENESIS_SUPPLY);
    }

    function test_MinterMints() public {
        address to = makeAddr("to");
        vm.expectEmit(address(d.token));
        emit Minted(to, 5 ether);
        vm.prank(minter);
        d.token.mint(to, 5 ether);
        assertEq(d.token.balanceOf(to), 5 ether);
        assertEq(d.token.totalSupply(), GENESIS_SUPPLY + 5 ether);
    }

    function test_RevertWhen_MintByNonMinter() public {
        vm.expectRevert(abi.encodeWithSelector(ILivepeerToken.NotMinter.selector, governance));
        d.token.mint(governance, 1);
    }

    function test_MinterRoleMovesWithTheRegistry() public {
        address newMinter = makeAddr("new minter");
        d.controller.setContract(ContractIds.MINTER, newMinter);
        vm.expectRevert(abi.encodeWithSelector(ILivepeerToken.NotMinter.selector, minter));
        vm.prank(minter);
        d.token.mint(minter, 1);
        vm.prank(newMinter);
        d.token.mint(newMinter, 1);
        assertEq(d.token.balanceOf(newMinter), 1);
    }

    function test_Burn() public {
        d.token.burn(1 ether);
        assertEq(d.token.totalSupply(), GENESIS_SUPPLY - 1 ether);
        assertEq(d.token.balanceOf(governance), GENESIS_SUPPLY - 1 ether);
    }

    function test_Permit() public {
        (address owner, uint256 key) = makeAddrAndKey("permit owner");
        address spender = makeAddr("spender");
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
                ),
                owner,
                spender,
                7 ether,
                d.token.nonces(owner),
                deadline
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", d.token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        d.token.permit(owner, spender, 7 ether, deadline, v, r, s);
        assertEq(d.token.allowance(owner, spender), 7 ether);
        assertEq(d.token.nonces(owner), 1);

        // The same signature can't be replayed.
        vm.expectRevert();
        d.token.permit(owner, spender, 7 ether, deadline, v, r, s);
    }

    function test_RevertWhen_PermitExpired() public {
        (address owner, uint256 key) = makeAddrAndKey("permit owner");
        uint256 deadline = block.timestamp - 1;
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", d.token.DOMAIN_SEPARATOR(), bytes32(0)));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        vm.expectRevert(
            abi.encodeWithSelector(ERC20PermitUpgradeable.ERC2612ExpiredSignature.selector, deadline)
        );
        d.token.permit(owner, address(1), 1, deadline, v, r, s);
    }
}
