// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {IController} from "./interfaces/IController.sol";
import {ILivepeerToken} from "./interfaces/ILivepeerToken.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {
    ERC20PermitUpgradeable
} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20PermitUpgradeable.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title LivepeerToken
/// @notice LPT. See {ILivepeerToken}. The minter role is whatever the Controller has registered
/// under `Minter`, so governance moves it by re-registering, never by touching the token.
/// @dev All state lives in OpenZeppelin's ERC-7201 namespaces (`openzeppelin.storage.ERC20`,
/// `...Nonces`, `...EIP712`); this contract adds none.
contract LivepeerToken is ILivepeerToken, Controlled, ERC20PermitUpgradeable {
    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Sets name and symbol and mints the genesis supply.
    /// @param genesisHolder Receives the genesis supply.
    /// @param genesisSupply The amount minted at genesis.
    function initialize(address genesisHolder, uint256 genesisSupply) external initializer {
        __ERC20_init("Livepeer Token", "LPT");
        __ERC20Permit_init("Livepeer Token");
        if (genesisSupply != 0) {
            _mint(genesisHolder, genesisSupply);
            emit Minted(genesisHolder, genesisSupply);
        }
    }

    /// @inheritdoc ILivepeerToken
    function mint(address to, uint256 amount) external {
        if (msg.sender != controller.getContract(ContractIds.MINTER)) revert NotMinter(msg.sender);
        _mint(to, amount);
        emit Minted(to, amount);
    }

    /// @inheritdoc ILivepeerToken
    function burn(uint256 amount) external {
        _burn(msg.sender, amount);
        emit Burned(msg.sender, amount);
    }

    /// @inheritdoc ERC20PermitUpgradeable
    function nonces(address owner)
        public
        view
        override(ERC20PermitUpgradeable, IERC20Permit)
        returns (uint256)
    {
        return super.nonces(owner);
    }
}
