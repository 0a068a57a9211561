// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {
    EIP712Upgradeable
} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";

/// @notice Storage-layout probe for LivepeerToken, whose state lives in OpenZeppelin's namespaces:
/// pinning them here catches an OpenZeppelin upgrade that would move a balance. Never deployed.
contract LivepeerTokenLayout {
    Initializable.InitializableStorage internal initializable;
    ERC20Upgradeable.ERC20Storage internal erc20;
    NoncesUpgradeable.NoncesStorage internal nonces;
    EIP712Upgradeable.EIP712Storage internal eip712;
}
