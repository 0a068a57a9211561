// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console} from "../contracts/test/utils/console.sol";
import {Script} from "./utils/Script.sol";
import {ScriptVm} from "./utils/ScriptVm.sol";

/// @title Snapshot
/// @notice Reads every account's protocol state into a sorted-by-construction text file, one
/// `contract.getter(args)=returndata` line per value, so that two snapshots (before and after an
/// upgrade or a migration) compare with `diff` (`script/upgrade.sh diff`).
/// @dev Accounts come from the protocol's own events (every indexed address topic of every log of
/// every proxy since the deployment block), unbonding locks from `Unbonded` events, challenges from
/// `challengeCount()`: no on-chain enumeration. Per account it reads: LPT balance,
/// delegation (`delegatorInfo`), pending rewards and fees, orchestrator state (cuts, announced cuts,
/// stake), sender deposit / reserve / unlock, fees held by the broker, registry entries and fault
/// verifier credits; per lock `lockInfo`; per challenge `getChallenge`; and the contracts' totals.
/// Environment: `STREAMFLOW_DEPLOYMENT` (default `deployments/local.json`), `SNAPSHOT_OUT` (default
/// `deployments/.tmp-snapshot.txt`), `SNAPSHOT_ACCOUNTS_TO_BLOCK` (discover accounts from logs up to
/// this block only, so that a snapshot after a change reads the same accounts as the one before;
/// default: the latest block), `SNAPSHOT_TICKET_BROKER` (read another broker in place of the
/// deployment's, e.g. a replacement broker), `SNAPSHOT_PREVIOUS_TICKET_BROKER` (a broker the current
/// one replaced: its logs name accounts too, and its balances are added in), `SNAPSHOT_BROKER_TOTALS`
/// (`true`: per sender, the deposit plus reserve on both brokers in place of `getSender`; per
/// orchestrator, the fees held by both brokers by creation round in place of `pendingFees`; the
/// brokers' ETH and `feesOwed` summed. What a broker replacement must keep; a moving sender's unlock
/// round changes on purpose, so it is left out).
contract Snapshot is Script {
    ScriptVm private constant svm = ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes32 private constant UNBONDED = keccak256("Unbonded(address,address,uint256,uint256,uint256)");

    address private token;
    address private bonding;
    address private broker;
    address private previousBroker;
    bool private totals;
    address private registry;
    address private faults;
    address private minter;
    address[] private accounts;
    address[] private lockOwners;
    uint256[] private lockIds;
    string private path;
    uint256 private lines;
    uint256 private toBlock;

    /// @notice Takes the snapshot and writes it to `SNAPSHOT_OUT`.
    function run() external {
        string memory d = svm.readFile(svm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json")));
        path = svm.envOr("SNAPSHOT_OUT", string("deployments/.tmp-snapshot.txt"));
        svm.writeFile(path, "");
        token = svm.parseJsonAddress(d, ".livepeerToken");
        bonding = svm.parseJsonAddress(d, ".bondingManager");
        broker = svm.envOr("SNAPSHOT_TICKET_BROKER", svm.parseJsonAddress(d, ".ticketBroker"));
        previousBroker = svm.envOr("SNAPSHOT_PREVIOUS_TICKET_BROKER", address(0));
        totals = svm.envOr("SNAPSHOT_BROKER_TOTALS", false);
        registry = svm.parseJsonAddress(d, ".serviceRegistry");
        faults = svm.parseJsonAddress(d, ".faultVerifier");
        minter = svm.parseJsonAddress(d, ".minter");
        uint256 fromBlock = svm.parseJsonUint(d, ".deployBlock");
        toBlock = svm.envOr("SNAPSHOT_ACCOUNTS_TO_BLOCK", block.number);

        address[6] memory sources = [token, bonding, broker, registry, faults, minter];
        for (uint256 s = 0; s < sources.length; ++s) {
            _collect(sources[s], fromBlock);
        }
        _collect(svm.parseJsonAddress(d, ".roundsManager"), fromBlock);
        if (previousBroker != address(0)) _collect(previousBroker, fromBlock);

        _globals();
        for (uint256 i = 0; i < accounts.length; ++i) {
            _account(accounts[i]);
        }
        for (uint256 i = 0; i < lockOwners.length; ++i) {
            _read(
                "bondingManager",
                bonding,
                abi.encodeWithSignature("lockInfo(address,uint256)", lockOwners[i], lockIds[i]),
                string.concat("lockInfo(", svm.toString(lockOwners[i]), ",", svm.toString(lockIds[i]), ")")
            );
        }
        (bool ok, bytes memory ret) = faults.staticcall(abi.encodeWithSignature("challengeCount()"));
        uint256 challenges = ok ? abi.decode(ret, (uint256)) : 0;
        for (uint256 id = 1; id <= challenges; ++id) {
            _read(
                "faultVerifier",
                faults,
                abi.encodeWithSignature("getChallenge(uint256)", id),
                string.concat("getChallenge(", svm.toString(id), ")")
            );
        }
        console.log("snapshot written to", path);
        console.log("  accounts  ", accounts.length);
        console.log("  locks     ", lockOwners.length);
        console.log("  challenges", challenges);
        console.log("  values    ", lines);
    }

    function _collect(address source, uint256 fromBlock) private {
        bytes32[] memory none = new bytes32[](0);
        ScriptVm.EthGetLogs[] memory logs = svm.eth_getLogs(fromBlock, toBlock, source, none);
        for (uint256 i = 0; i < logs.length; ++i) {
            bytes32[] memory t = logs[i].topics;
            for (uint256 j = 1; j < t.length; ++j) {
                if (uint256(t[j]) >> 160 == 0 && t[j] != bytes32(0)) {
                    _addAccount(address(uint160(uint256(t[j]))));
                }
            }
            if (source == bonding && t.length > 1 && t[0] == UNBONDED) {
                // forge-lint: disable-next-line(unsafe-typecast) -- an indexed address topic
                lockOwners.push(address(uint160(uint256(t[1]))));
                lockIds.push(abi.decode(logs[i].data, (uint256)));
            }
        }
    }

    function _addAccount(address a) private {
        for (uint256 i = 0; i < accounts.length; ++i) {
            if (accounts[i] == a) return;
        }
        accounts.push(a);
    }

    function _globals() private {
        _read("livepeerToken", token, abi.encodeWithSignature("totalSupply()"), "totalSupply()");
        _line(string.concat("eth.balance(bondingManager)=", svm.toString(bonding.balance)));
        if (totals) {
            _line(
                string.concat(
                    "eth.balance(ticketBrokers)=",
                    svm.toString(broker.balance + (previousBroker == address(0) ? 0 : previousBroker.balance))
                )
            );
            _line(
                string.concat(
                    "ticketBrokers.feesOwed()=", svm.toString(_owed(broker) + _owed(previousBroker))
                )
            );
        } else {
            _line(string.concat("eth.balance(ticketBroker)=", svm.toString(broker.balance)));
        }
        _line(string.concat("eth.balance(faultVerifier)=", svm.toString(faults.balance)));
        _read("faultVerifier", faults, abi.encodeWithSignature("pendingBonds()"), "pendingBonds()");
        _read("faultVerifier", faults, abi.encodeWithSignature("burnedBonds()"), "burnedBonds()");
        _read("faultVerifier", faults, abi.encodeWithSignature("challengeCount()"), "challengeCount()");
        _read("minter", minter, abi.encodeWithSignature("inflation()"), "inflation()");
        _read("minter", minter, abi.encodeWithSignature("lastRound()"), "lastRound()");
        _read("minter", minter, abi.encodeWithSignature("roundMint()"), "roundMint()");
        _read("bondingManager", bonding, abi.encodeWithSignature("minActiveStake()"), "minActiveStake()");
        _read("bondingManager", bonding, abi.encodeWithSignature("unbondingPeriod()"), "unbondingPeriod()");
    }

    function _account(address a) private {
        string memory arg = string.concat("(", svm.toString(a), ")");
        _read(
            "livepeerToken",
            token,
            abi.encodeWithSignature("balanceOf(address)", a),
            string.concat("balanceOf", arg)
        );
        _read(
            "bondingManager",
            bonding,
            abi.encodeWithSignature("delegatorInfo(address)", a),
            string.concat("delegatorInfo", arg)
        );
        _read(
            "bondingManager",
            bonding,
            abi.encodeWithSignature("pendingEarnings(address)", a),
            string.concat("pendingEarnings", arg)
        );
        _read(
            "bondingManager",
            bonding,
            abi.encodeWithSignature("isOrchestrator(address)", a),
            string.concat("isOrchestrator", arg)
        );
        _read(
            "bondingManager",
            bonding,
            abi.encodeWithSignature("orchestratorInfo(address)", a),
            string.concat("orchestratorInfo", arg)
        );
        if (totals) {
            _brokerTotals(a, arg);
        } else {
            _read(
                "ticketBroker",
                broker,
                abi.encodeWithSignature("getSender(address)", a),
                string.concat("getSender", arg)
            );
            _read(
                "ticketBroker",
                broker,
                abi.encodeWithSignature("pendingFees(address)", a),
                string.concat("pendingFees", arg)
            );
        }
        _read(
            "serviceRegistry",
            registry,
            abi.encodeWithSignature("serviceURI(address)", a),
            string.concat("serviceURI", arg)
        );
        _read(
            "serviceRegistry",
            registry,
            abi.encodeWithSignature("regionsOf(address)", a),
            string.concat("regionsOf", arg)
        );
        _read(
            "serviceRegistry",
            registry,
            abi.encodeWithSignature("servicesOf(address)", a),
            string.concat("servicesOf", arg)
        );
        _read(
            "faultVerifier",
            faults,
            abi.encodeWithSignature("creditOf(address)", a),
            string.concat("creditOf", arg)
        );
        _read(
            "faultVerifier",
            faults,
            abi.encodeWithSignature("slashCoveredBefore(address)", a),
            string.concat("slashCoveredBefore", arg)
        );
    }

    /// @dev `a`'s funds and held fees over both brokers (totals mode).
    function _brokerTotals(address a, string memory arg) private {
        uint256 funds = _funds(broker, a) + _funds(previousBroker, a);
        _line(string.concat("ticketBrokers.funds", arg, "=", svm.toString(funds)));
        uint256[4] memory rounds;
        uint256[4] memory amounts;
        uint256 n = _addHeld(broker, a, rounds, amounts, 0);
        n = _addHeld(previousBroker, a, rounds, amounts, n);
        string memory held = "";
        // ascending by round; at most four entries
        for (uint256 i; i < n; ++i) {
            uint256 best = i;
            for (uint256 j = i + 1; j < n; ++j) {
                if (rounds[j] < rounds[best]) best = j;
            }
            (rounds[i], rounds[best]) = (rounds[best], rounds[i]);
            (amounts[i], amounts[best]) = (amounts[best], amounts[i]);
            held = string.concat(
                held, i == 0 ? "" : ",", svm.toString(rounds[i]), ":", svm.toString(amounts[i])
            );
        }
        _line(string.concat("ticketBrokers.heldFees", arg, "=", held));
    }

    function _funds(address b, address a) private view returns (uint256) {
        if (b == address(0)) return 0;
        (bool ok, bytes memory ret) = b.staticcall(abi.encodeWithSignature("getSender(address)", a));
        if (!ok) return 0;
        (uint256 dep, uint256 res,) = abi.decode(ret, (uint256, uint256, uint256));
        return dep + res;
    }

    function _owed(address b) private view returns (uint256) {
        if (b == address(0)) return 0;
        (bool ok, bytes memory ret) = b.staticcall(abi.encodeWithSignature("feesOwed()"));
        return ok ? abi.decode(ret, (uint256)) : 0;
    }

    /// @dev Adds `b`'s held fees for `a` (non-zero amounts) to the lists, merging equal rounds.
    function _addHeld(address b, address a, uint256[4] memory rounds, uint256[4] memory amounts, uint256 n)
        private
        view
        returns (uint256)
    {
        if (b == address(0)) return n;
        (bool ok, bytes memory ret) = b.staticcall(abi.encodeWithSignature("pendingFees(address)", a));
        if (!ok) return n;
        (uint256 ra, uint256 aa, uint256 rb, uint256 ab) =
            abi.decode(ret, (uint256, uint256, uint256, uint256));
        uint256[2] memory rs = [ra, rb];
        uint256[2] memory am = [aa, ab];
        for (uint256 k; k < 2; ++k) {
            if (am[k] == 0) continue;
            uint256 i;
            while (i < n && rounds[i] != rs[k]) ++i;
            if (i == n) {
                rounds[n] = rs[k];
                ++n;
            }
            amounts[i] += am[k];
        }
        return n;
    }

    /// @dev Records the raw return data (or the revert data) of a view call.
    function _read(string memory name, address target, bytes memory call, string memory what) private {
        (bool ok, bytes memory ret) = target.staticcall(call);
        _line(string.concat(name, ".", what, ok ? "=" : "=revert:", svm.toString(ret)));
    }

    function _line(string memory l) private {
        svm.writeLine(path, l);
        ++lines;
    }
}
