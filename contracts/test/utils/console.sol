// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title console
/// @notice The few `console.log` overloads our tests and scripts print with. forge decodes calls to
/// the well-known console address by their `log(...)` signature.
library console {
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function _send(bytes memory payload) private view {
        (bool ok,) = CONSOLE.staticcall(payload);
        ok; // the console address has no code; the call is only traced
    }

    function log(string memory message) internal view {
        _send(abi.encodeWithSignature("log(string)", message));
    }

    function log(string memory message, address value) internal view {
        _send(abi.encodeWithSignature("log(string,address)", message, value));
    }

    function log(string memory message, uint256 value) internal view {
        _send(abi.encodeWithSignature("log(string,uint256)", message, value));
    }

    function log(string memory message, string memory value) internal view {
        _send(abi.encodeWithSignature("log(string,string)", message, value));
    }
}
