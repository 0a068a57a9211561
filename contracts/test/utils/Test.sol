// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./Vm.sol";

/// @title Test
/// @notice Streamflow's own forge test base (forge-std is not reachable from here): the cheatcode
/// handle, assertions, `bound`, `makeAddr`/`makeAddrAndKey`, and invariant target selection.
/// @dev Assertions delegate to forge's `vm.assert*` cheatcodes, which revert with a formatted
/// message; forge marks a test failed when it reverts. forge finds invariant targets by the ABI
/// shape of `targetContracts()`, `targetSelectors()`, `targetSenders()` and `excludeContracts()`.
abstract contract Test {
    /// @notice A contract and the selectors of it that an invariant run may call.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev forge treats contracts exposing `IS_TEST() == true` as test suites.
    bool public IS_TEST = true;

    address[] private _targetContracts;
    address[] private _excludeContracts;
    address[] private _targetSenders;
    FuzzSelector[] private _targetSelectors;

    // ---------------------------------------------------------------- invariant targets

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function excludeContract(address target) internal {
        _excludeContracts.push(target);
    }

    function targetSender(address sender) internal {
        _targetSenders.push(sender);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetSelectors.push(selector);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function excludeContracts() public view returns (address[] memory) {
        return _excludeContracts;
    }

    function targetSenders() public view returns (address[] memory) {
        return _targetSenders;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Maps `x` into `[min, max]` uniformly enough for fuzzing, keeping in-range values as they
    /// are (so the fuzzer's edge cases survive).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    function makeAddr(string memory name) internal returns (address addr) {
        (addr,) = makeAddrAndKey(name);
    }

    function makeAddrAndKey(string memory name) internal returns (address addr, uint256 privateKey) {
        privateKey = uint256(keccak256(abi.encodePacked(name)));
        addr = vm.addr(privateKey);
        vm.label(addr, name);
    }

    // ---------------------------------------------------------------- assertions

    function assertTrue(bool condition) internal pure {
        vm.assertTrue(condition, "assertion failed");
    }

    function assertTrue(bool condition, string memory err) internal pure {
        vm.assertTrue(condition, err);
    }

    function assertFalse(bool condition) internal pure {
        vm.assertFalse(condition, "assertion failed");
    }

    function assertFalse(bool condition, string memory err) internal pure {
        vm.assertFalse(condition, err);
    }

    function assertEq(bool left, bool right) internal pure {
        vm.assertEq(left, right, "assertEq(bool) failed");
    }

    function assertEq(uint256 left, uint256 right) internal pure {
        vm.assertEq(left, right, "assertEq(uint) failed");
    }

    function assertEq(uint256 left, uint256 right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(int256 left, int256 right) internal pure {
        vm.assertEq(left, right, "assertEq(int) failed");
    }

    function assertEq(address left, address right) internal pure {
        vm.assertEq(left, right, "assertEq(address) failed");
    }

    function assertEq(address left, address right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(bytes32 left, bytes32 right) internal pure {
        vm.assertEq(left, right, "assertEq(bytes32) failed");
    }

    function assertEq(bytes32 left, bytes32 right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(bytes memory left, bytes memory right) internal pure {
        vm.assertEq(left, right, "assertEq(bytes) failed");
    }

    function assertEq(string memory left, string memory right) internal pure {
        vm.assertEq(left, right, "assertEq(string) failed");
    }

    function assertNotEq(uint256 left, uint256 right) internal pure {
        vm.assertNotEq(left, right, "assertNotEq(uint) failed");
    }

    function assertNotEq(address left, address right) internal pure {
        vm.assertNotEq(left, right, "assertNotEq(address) failed");
    }

    function assertNotEq(bytes32 left, bytes32 right) internal pure {
        vm.assertNotEq(left, right, "assertNotEq(bytes32) failed");
    }

    function assertGt(uint256 left, uint256 right) internal pure {
        vm.assertGt(left, right, "assertGt failed");
    }

    function assertGe(uint256 left, uint256 right) internal pure {
        vm.assertGe(left, right, "assertGe failed");
    }

    function assertGe(uint256 left, uint256 right, string memory err) internal pure {
        vm.assertGe(left, right, err);
    }

    function assertLt(uint256 left, uint256 right) internal pure {
        vm.assertLt(left, right, "assertLt failed");
    }

    function assertLe(uint256 left, uint256 right) internal pure {
        vm.assertLe(left, right, "assertLe failed");
    }

    function assertLe(uint256 left, uint256 right, string memory err) internal pure {
        vm.assertLe(left, right, err);
    }

    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta) internal pure {
        vm.assertApproxEqAbs(left, right, maxDelta, "assertApproxEqAbs failed");
    }

    /// @param maxPercentDelta Relative tolerance scaled by 1e18 (1e18 = 100%).
    function assertApproxEqRel(uint256 left, uint256 right, uint256 maxPercentDelta) internal pure {
        vm.assertApproxEqRel(left, right, maxPercentDelta, "assertApproxEqRel failed");
    }

    /// @dev Fails the test unconditionally.
    function fail(string memory err) internal pure {
        vm.assertTrue(false, err);
    }
}
