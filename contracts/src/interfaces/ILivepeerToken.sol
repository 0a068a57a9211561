// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title ILivepeerToken
/// @notice LPT, the protocol's staking token: an ERC-20 with EIP-2612 permit. Only the contract
/// registered as `Minter` in the Controller may mint; any holder may burn its own tokens (slashing
/// burns through this).
interface ILivepeerToken is IERC20, IERC20Permit {
    /// @notice Tokens were minted by the Minter.
    /// @param to The recipient.
    /// @param amount The amount minted.
    event Minted(address indexed to, uint256 amount);

    /// @notice Tokens were burned by their holder.
    /// @param from The holder.
    /// @param amount The amount burned.
    event Burned(address indexed from, uint256 amount);

    /// @notice `mint` was called by an address that is not the registered Minter.
    /// @param caller The caller.
    error NotMinter(address caller);

    /// @notice Mints `amount` to `to`. Only the registered Minter.
    /// @param to The recipient.
    /// @param amount The amount to mint.
    function mint(address to, uint256 amount) external;

    /// @notice Burns `amount` of the caller's own tokens.
    /// @param amount The amount to burn.
    function burn(uint256 amount) external;
}
