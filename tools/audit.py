#!/usr/bin/env python3
"""Auditor suite: static analysis (slither), symbolic proofs (halmos) and coverage (forge).

    tools/audit.py slither   run slither over contracts/src; fail on a High/Medium finding that
                             audit/slither-triage.json does not record
    tools/audit.py halmos    run the symbolic check_* tests under contracts/test/symbolic/
    tools/audit.py coverage  forge coverage over contracts/src (lcov + summary)
    tools/audit.py report    all three, then a dated Markdown report in reports/

Findings are keyed by detector and the names of the code elements they point at, never by line
numbers, so a triage entry survives unrelated edits.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
TRIAGE = ROOT / "audit" / "slither-triage.json"
REPORTS = ROOT / "reports"
GATED_IMPACTS = {"High", "Medium"}
ENV = {**os.environ, "PATH": f"{ROOT / 'node_modules' / '.bin'}:{os.environ.get('PATH', '')}"}
# slither and halmos compile into their own folders so they never clean the developer's out/.
AUDIT_BUILD = {**ENV, "FOUNDRY_OUT": "out-audit", "FOUNDRY_CACHE_PATH": "cache-audit"}
HALMOS_BUILD = {**ENV, "FOUNDRY_OUT": "out-halmos", "FOUNDRY_CACHE_PATH": "cache-halmos"}


def run(cmd: list[str], env=ENV, check=True, capture=True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=check, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)


def tool_versions() -> dict[str, str]:
    def first_line(cmd):
        try:
            return run(cmd, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unavailable"
    return {
        "forge": first_line(["forge", "--version"]),
        "solc": run(["tools/solc", "--version"], check=False).stdout.strip().splitlines()[-1],
        "slither": first_line([str(VENV_BIN / "slither"), "--version"]),
        "halmos": first_line([str(VENV_BIN / "halmos"), "--version"]),
    }


# ---------------------------------------------------------------- slither

def finding_key(d: dict) -> str:
    parts = []
    for e in d.get("elements", []):
        parent = e.get("type_specific_fields", {}).get("parent", {})
        owner = parent.get("type_specific_fields", {}).get("parent", {}).get("name") or parent.get("name")
        name = re.sub(r"\s+", " ", e.get("name", ""))
        parts.append(f"{e.get('type')}:{owner + '.' if owner else ''}{name}")
    return f"{d['check']}|" + "|".join(sorted(set(parts)))


def slither_findings() -> list[dict]:
    # --force: stale build-info files would be analysed alongside the fresh ones.
    run(["forge", "build", "--build-info", "--force", "--skip", "test", "--skip", "script", "-q"], env=AUDIT_BUILD)
    out = ROOT / "out-audit" / "slither.json"
    out.unlink(missing_ok=True)
    run([str(VENV_BIN / "slither"), ".", "--foundry-ignore-compile", "--foundry-out-directory", "out-audit",
         "--filter-paths", "node_modules|contracts/test|script", "--json", str(out)], env=AUDIT_BUILD, check=False)
    data = json.loads(out.read_text())
    if not data.get("success", False):
        sys.exit(f"slither failed: {data.get('error')}")
    findings = data.get("results", {}).get("detectors", [])
    for f in findings:
        f["key"] = finding_key(f)
    return findings


def load_triage() -> dict[str, dict]:
    if not TRIAGE.exists():
        return {}
    return {t["key"]: t for t in json.loads(TRIAGE.read_text())["findings"]}


def slither_gate(write_missing: bool = False) -> tuple[bool, list[dict], dict]:
    findings = slither_findings()
    triage = load_triage()
    untriaged = [f for f in findings if f["key"] not in triage]
    gated = [f for f in untriaged if f["impact"] in GATED_IMPACTS]
    for f in findings:
        t = triage.get(f["key"])
        mark = "triaged: " + t["status"] if t else ("NEW (gated)" if f["impact"] in GATED_IMPACTS else "new")
        print(f"[{f['impact']:<13}] {f['check']:<22} {mark}\n    {f['description'].strip().splitlines()[0]}")
    if write_missing and untriaged:
        entries = json.loads(TRIAGE.read_text())["findings"] if TRIAGE.exists() else []
        entries += [{"key": f["key"], "check": f["check"], "impact": f["impact"], "status": "untriaged",
                     "reason": "TODO"} for f in untriaged]
        TRIAGE.write_text(json.dumps({"findings": entries}, indent=2) + "\n")
        print(f"appended {len(untriaged)} entries to {TRIAGE.relative_to(ROOT)}: fill in status and reason")
    stale = [k for k in triage if k not in {f["key"] for f in findings}]
    for k in stale:
        print(f"note: triage entry no longer matches a finding (fixed?): {k}")
    bad_status = [t for t in triage.values() if t["status"] not in ("accepted", "fixed")]
    for t in bad_status:
        print(f"triage entry without a decision: {t['key']}")
    ok = not gated and not bad_status
    print(f"slither: {len(findings)} findings, {len(gated)} new High/Medium, "
          f"{len(untriaged)} untriaged -> {'PASS' if ok else 'FAIL'}")
    return ok, findings, triage


# ---------------------------------------------------------------- halmos

def halmos(extra: list[str]) -> tuple[bool, list[dict]]:
    # A fresh build folder: halmos reads every artifact in it, and stale ones (deleted tests) confuse it.
    shutil.rmtree(ROOT / "out-halmos", ignore_errors=True)
    json_out = ROOT / "out-audit" / "halmos.json"
    json_out.parent.mkdir(exist_ok=True)
    proc = run([str(VENV_BIN / "halmos"), "--match-contract", "Symbolic$", "--forge-build-out", "out-halmos",
                "--json-output", str(json_out),
                *extra], env=HALMOS_BUILD, check=False, capture=False)
    results = []
    if json_out.exists():
        data = json.loads(json_out.read_text())
        for contract, tests in data.get("test_results", {}).items():
            for t in tests:
                first = lambda v: v[0] if isinstance(v, list) and v else v  # noqa: E731 (halmos: [total, ...])
                results.append({"contract": contract.split(":")[-1], "name": t.get("name"),
                                "exitcode": t.get("exitcode"), "paths": first(t.get("num_paths")),
                                "time": first(t.get("time"))})
    return proc.returncode == 0, results


# ---------------------------------------------------------------- coverage

def coverage() -> tuple[str, dict]:
    # Coverage builds without the optimizer, and the gas-snapshot cheatcodes would overwrite the
    # committed snapshots/ with those unoptimized figures: keep a copy and put it back.
    snapshots = ROOT / "snapshots"
    saved = {p.name: p.read_bytes() for p in snapshots.glob("*.json")} if snapshots.exists() else {}
    try:
        proc = run(["forge", "coverage", "--report", "summary", "--report", "lcov",
                    "--report-file", "out-audit/lcov.info", "--no-match-coverage", "contracts/test|script"],
                   env=AUDIT_BUILD)
    finally:
        for p in snapshots.glob("*.json"):
            if p.name not in saved:
                p.unlink()
        for name, data in saved.items():
            (snapshots / name).write_bytes(data)
    table = "\n".join(l for l in proc.stdout.splitlines() if l.startswith(("|", "╭", "╰", "+")))
    total = {}
    m = re.search(r"\| Total\s*\|\s*([\d.]+)%[^|]*\|\s*([\d.]+)%[^|]*\|\s*([\d.]+)%[^|]*\|\s*([\d.]+)%", proc.stdout)
    if m:
        total = dict(zip(["lines", "statements", "branches", "functions"], map(float, m.groups())))
    print(table)
    return table, total


# ---------------------------------------------------------------- report

def report() -> int:
    versions = tool_versions()
    ok_slither, findings, triage = slither_gate()
    ok_halmos, proofs = halmos([])
    table, total = coverage()
    REPORTS.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    path = REPORTS / f"audit-{now:%Y-%m-%d-%H%M}.md"
    lines = [f"# Streamflow audit report — {now:%Y-%m-%d %H:%M} UTC", "",
             f"Commit: `{run(['git', 'rev-parse', '--short', 'HEAD'], check=False).stdout.strip()}`", "",
             "## Tools", "", "| tool | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in versions.items()]
    lines += ["", f"## Static analysis (slither) — {'PASS' if ok_slither else 'FAIL'}", "",
              "| impact | detector | status | reason |", "|---|---|---|---|"]
    by_impact = {}
    for f in sorted(findings, key=lambda f: ["High", "Medium", "Low", "Informational", "Optimization"].index(f["impact"])):
        t = triage.get(f["key"], {})
        by_impact[f["impact"]] = by_impact.get(f["impact"], 0) + 1
        desc = f["description"].strip().splitlines()[0].replace("|", "\\|")
        lines.append(f"| {f['impact']} | {f['check']} | {t.get('status', 'UNTRIAGED')} | "
                     f"{t.get('reason', '')} <br> <sub>{desc}</sub> |")
    lines += ["", "Findings by impact: " + (", ".join(f"{k} {v}" for k, v in by_impact.items()) or "none"), "",
              f"## Symbolic proofs (halmos) — {'PASS' if ok_halmos else 'FAIL'}", "",
              "| contract | property | result | paths | time (s) |", "|---|---|---|---|---|"]
    status = {0: "proved", 1: "counterexample", 2: "timeout/error"}
    for p in proofs:
        lines.append(f"| {p['contract']} | {p['name']} | {status.get(p['exitcode'], p['exitcode'])} | "
                     f"{p['paths']} | {p['time']:.1f} |" if isinstance(p.get("time"), (int, float)) else
                     f"| {p['contract']} | {p['name']} | {p['exitcode']} | {p['paths']} | |")
    lines += ["", "## Coverage (forge coverage, contracts/src)", "", "```", table, "```", "",
              f"Targets: lines ≥ 95% (now {total.get('lines', 0):.2f}%), "
              f"branches ≥ 90% (now {total.get('branches', 0):.2f}%). LCOV: `out-audit/lcov.info`.", ""]
    path.write_text("\n".join(lines))
    print(f"report written to {path.relative_to(ROOT)}")
    return 0 if ok_slither and ok_halmos else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("slither", help="static analysis gate")
    s.add_argument("--triage-new", action="store_true", help="append untriaged findings to the triage file")
    h = sub.add_parser("halmos", help="symbolic proofs")
    h.add_argument("extra", nargs=argparse.REMAINDER, help="arguments passed to halmos")
    sub.add_parser("coverage", help="forge coverage")
    sub.add_parser("report", help="everything, with a dated Markdown report")
    args = p.parse_args()
    if args.cmd == "slither":
        return 0 if slither_gate(args.triage_new)[0] else 1
    if args.cmd == "halmos":
        return 0 if halmos(args.extra)[0] else 1
    if args.cmd == "coverage":
        coverage()
        return 0
    return report()


if __name__ == "__main__":
    sys.exit(main())
