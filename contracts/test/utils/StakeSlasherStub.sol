// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LivepeerToken} from "../../src/LivepeerToken.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IStakeSlasher} from "../../src/interfaces/IStakeSlasher.sol";
import {IUnbondingPeriod} from "../../src/interfaces/IUnbondingPeriod.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";

/// @title StakeSlasherStub
/// @notice TEST STAND-IN for the staking contract (BondingManager), which is built on another branch.
/// It implements exactly what the FaultVerifier uses ({IStakeSlasher}, {IUnbondingPeriod}) and holds
/// real LPT: delegators (the orchestrator included) bond into a per-orchestrator pool of shares, so a
/// slash lowers every delegator's stake pro rata without a loop. Freezes nest and block unbonding.
/// Simplification: `unbond` pays out at once (no unbonding queue); the freeze is what is under test.
/// The integrator registers the real BondingManager under BONDING_MANAGER instead.
contract StakeSlasherStub is IStakeSlasher, IUnbondingPeriod {
    struct Pool {
        uint256 stake;
        uint256 shares;
        uint256 freezes;
    }

    error NotFaultVerifier(address caller);
    error StakeFrozen(address orchestrator);
    error NotFrozen(address orchestrator);
    error InsufficientShares(uint256 have, uint256 want);
    error PoolWipedOut(address orchestrator);
    error TokenTransferFailed();

    event Slashed(
        address indexed orchestrator, uint256 slashed, address finder, uint256 finderFee, uint256 burned
    );

    uint256 internal constant PPM = 1_000_000;

    IController public immutable controller;
    uint256 public unbondingPeriod;

    mapping(address orchestrator => Pool) public pools;
    mapping(address delegator => mapping(address orchestrator => uint256)) public sharesOf;

    constructor(IController controller_, uint256 unbondingPeriod_) {
        controller = controller_;
        unbondingPeriod = unbondingPeriod_;
    }

    modifier onlyFaultVerifier() {
        if (msg.sender != controller.getContract(ContractIds.FAULT_VERIFIER)) {
            revert NotFaultVerifier(msg.sender);
        }
        _;
    }

    /// @notice The maturity period: the unbonding period (the stub has one period for both).
    function maturityPeriod() external view returns (uint256) {
        return unbondingPeriod;
    }

    function setUnbondingPeriod(uint256 rounds) external {
        unbondingPeriod = rounds;
    }

    function bond(address orchestrator, uint256 amount) external {
        Pool storage p = pools[orchestrator];
        uint256 shares;
        if (p.shares == 0) {
            shares = amount;
        } else {
            if (p.stake == 0) revert PoolWipedOut(orchestrator);
            shares = amount * p.shares / p.stake;
        }
        p.stake += amount;
        p.shares += shares;
        sharesOf[msg.sender][orchestrator] += shares;
        if (!_token().transferFrom(msg.sender, address(this), amount)) revert TokenTransferFailed();
    }

    function unbond(address orchestrator, uint256 shares) external returns (uint256 amount) {
        Pool storage p = pools[orchestrator];
        if (p.freezes != 0) revert StakeFrozen(orchestrator);
        uint256 have = sharesOf[msg.sender][orchestrator];
        if (shares > have) revert InsufficientShares(have, shares);
        amount = shares * p.stake / p.shares;
        sharesOf[msg.sender][orchestrator] = have - shares;
        p.shares -= shares;
        p.stake -= amount;
        if (!_token().transfer(msg.sender, amount)) revert TokenTransferFailed();
    }

    function stakeOf(address delegator, address orchestrator) external view returns (uint256) {
        Pool storage p = pools[orchestrator];
        return p.shares == 0 ? 0 : sharesOf[delegator][orchestrator] * p.stake / p.shares;
    }

    function freezes(address orchestrator) external view returns (uint256) {
        return pools[orchestrator].freezes;
    }

    function freezeStake(address orchestrator) external onlyFaultVerifier {
        ++pools[orchestrator].freezes;
    }

    function unfreezeStake(address orchestrator) external onlyFaultVerifier {
        Pool storage p = pools[orchestrator];
        if (p.freezes == 0) revert NotFrozen(orchestrator);
        --p.freezes;
    }

    function slash(address orchestrator, uint256 fractionPpm, address finder, uint256 finderFeePpm)
        external
        onlyFaultVerifier
        returns (uint256 slashed, uint256 finderFee)
    {
        Pool storage p = pools[orchestrator];
        slashed = p.stake * fractionPpm / PPM;
        finderFee = slashed * finderFeePpm / PPM;
        uint256 burned = slashed - finderFee;
        p.stake -= slashed;
        emit Slashed(orchestrator, slashed, finder, finderFee, burned);
        LivepeerToken token = _token();
        if (finderFee != 0 && !token.transfer(finder, finderFee)) revert TokenTransferFailed();
        if (burned != 0) token.burn(burned);
    }

    function totalStakeOf(address orchestrator) external view returns (uint256) {
        return pools[orchestrator].stake;
    }

    function slashableStakeOf(address orchestrator) external view returns (uint256) {
        return pools[orchestrator].stake;
    }

    function _token() private view returns (LivepeerToken) {
        return LivepeerToken(controller.getContract(ContractIds.LIVEPEER_TOKEN));
    }
}
