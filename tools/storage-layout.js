#!/usr/bin/env node
// Storage-layout guard for the upgradeable contracts.
//
// solc reports no layout for ERC-7201 namespaces, so each upgradeable contract `X` has a probe
// `XLayout` in contracts/test/layout/ that declares its namespace structs as plain variables. This
// script reads the probes' layouts from forge's artifacts (`extra_output = ["storageLayout"]`) and
//   check    compares them with the committed snapshots in storage-layout/ and fails on any change
//            an upgrade can't survive (a field removed, moved, retyped or reordered; a struct grown
//            where its neighbours or array elements would shift); appending is allowed, and so is
//            a new field in bytes no old field used (a slot's free bits: nothing moves);
//            it also fails if an implementation `X` declares plain (non-namespaced) state.
//   update   rewrites the snapshots from the current artifacts (after a compatible change);
//   selftest runs the comparison rules against synthetic layouts, both sides of each rule.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const PROBE_DIR = path.join(ROOT, 'contracts', 'test', 'layout');
const OUT = path.join(ROOT, 'out');
const SNAP_DIR = path.join(ROOT, 'storage-layout');

// ---------------------------------------------------------------- canonical layout

// AST ids in type names change with every edit; strip them so only meaning is compared.
const clean = (label) => label.replace(/\)\d+_storage/g, ')_storage');

function canon(types, id) {
  const t = types[id];
  if (!t) throw new Error(`unknown type ${id}`);
  const node = { label: clean(t.label), encoding: t.encoding, bytes: Number(t.numberOfBytes) };
  if (t.members) node.members = t.members.map((m) => member(types, m));
  if (t.key) node.key = canon(types, t.key);
  if (t.value) node.value = canon(types, t.value);
  if (t.base) node.base = canon(types, t.base);
  return node;
}

function member(types, m) {
  return { label: m.label, slot: Number(m.slot), offset: m.offset, type: canon(types, m.type) };
}

function readArtifact(file, contract) {
  const p = path.join(OUT, file, `${contract}.json`);
  if (!fs.existsSync(p)) throw new Error(`missing artifact ${path.relative(ROOT, p)}: run forge build first`);
  return JSON.parse(fs.readFileSync(p, 'utf8'));
}

function probes() {
  return fs
    .readdirSync(PROBE_DIR)
    .filter((f) => f.endsWith('Layout.sol'))
    .map((f) => {
      const probe = f.replace(/\.sol$/, '');
      const artifact = readArtifact(f, probe);
      if (!artifact.storageLayout) throw new Error(`${probe}: artifact has no storageLayout (extra_output)`);
      const { storage, types } = artifact.storageLayout;
      return {
        probe,
        implementation: probe.replace(/Layout$/, ''),
        namespaces: storage.map((v) => member(types, v)),
      };
    });
}

// ---------------------------------------------------------------- compatibility rules

// `mode` is 'grow' where appending members is safe (a namespace root, a mapping value, the last
// member of such a struct) and 'exact' where any size change would shift something (array elements,
// structs followed by other members).
function compare(oldT, newT, where, mode, problems) {
  if (oldT.encoding !== newT.encoding) {
    problems.push(`${where}: encoding ${oldT.encoding} -> ${newT.encoding}`);
    return;
  }
  if (oldT.members) {
    if (!newT.members) {
      problems.push(`${where}: was ${oldT.label}, now ${newT.label}`);
      return;
    }
    if (mode === 'exact' && oldT.bytes !== newT.bytes) {
      problems.push(`${where}: ${oldT.label} changed size where it can't grow (array element or not last)`);
    }
    // A new member is safe where it moves nothing and only takes bytes no old member used: appended
    // (where the struct may grow) or in a slot's unused bits (packing padding reads as zero).
    const bytesOf = (x) => [x.slot * 32 + x.offset, x.slot * 32 + x.offset + x.type.bytes];
    const used = oldT.members.map(bytesOf);
    const inserted = (n) => {
      const [a, b] = bytesOf(n);
      if (used.some(([c, d]) => a < d && c < b)) problems.push(`${where}.${n.label}: inserted over existing storage`);
    };
    let k = 0;
    oldT.members.forEach((m, i) => {
      const at = `${where}.${m.label}`;
      const idx = newT.members.findIndex((n, x) => x >= k && n.label === m.label);
      if (idx < 0) {
        const n = newT.members[k];
        return problems.push(n ? `${at}: renamed or reordered (now ${n.label})` : `${at}: removed`);
      }
      newT.members.slice(k, idx).forEach(inserted);
      k = idx + 1;
      const n = newT.members[idx];
      if (n.slot !== m.slot || n.offset !== m.offset) {
        return problems.push(`${at}: moved from slot ${m.slot}+${m.offset} to ${n.slot}+${n.offset}`);
      }
      const last = i === oldT.members.length - 1;
      compare(m.type, n.type, at, mode === 'grow' && last ? 'grow' : 'exact', problems);
    });
    newT.members.slice(k).forEach(inserted);
    return;
  }
  if (oldT.encoding === 'mapping') {
    compare(oldT.key, newT.key, `${where}[key]`, 'exact', problems);
    compare(oldT.value, newT.value, `${where}[value]`, 'grow', problems);
    return;
  }
  if (oldT.base) {
    if (oldT.label.replace(/\[.*$/, '') !== newT.label.replace(/\[.*$/, '') || oldT.bytes !== newT.bytes) {
      if (oldT.encoding === 'inplace') problems.push(`${where}: ${oldT.label} -> ${newT.label}`);
    }
    compare(oldT.base, newT.base, `${where}[]`, 'exact', problems);
    return;
  }
  if (oldT.label !== newT.label || oldT.bytes !== newT.bytes) {
    problems.push(`${where}: type ${oldT.label} -> ${newT.label}`);
  }
}

function compareProbe(old, now) {
  const problems = [];
  for (const ns of old.namespaces) {
    const n = now.namespaces.find((x) => x.label === ns.label);
    const at = `${old.probe}.${ns.label}`;
    if (!n) {
      problems.push(`${at}: namespace removed`);
      continue;
    }
    compare(ns.type, n.type, at, 'grow', problems);
  }
  return problems;
}

// ---------------------------------------------------------------- commands

const snapPath = (probe) => path.join(SNAP_DIR, `${probe}.json`);

function plainState(impl) {
  const file = `${impl}.sol`;
  const artifact = readArtifact(file, impl);
  return (artifact.storageLayout?.storage || []).map((v) => v.label);
}

function check() {
  let failed = false;
  const current = probes();
  for (const now of current) {
    const plain = plainState(now.implementation);
    if (plain.length) {
      failed = true;
      console.error(`✗ ${now.implementation}: plain state variables outside ERC-7201 namespaces: ${plain.join(', ')}`);
    }
    if (!fs.existsSync(snapPath(now.probe))) {
      failed = true;
      console.error(`✗ ${now.probe}: no snapshot; run \`node tools/storage-layout.js update\` and commit it`);
      continue;
    }
    const old = JSON.parse(fs.readFileSync(snapPath(now.probe), 'utf8'));
    const problems = compareProbe(old, now);
    if (problems.length) {
      failed = true;
      console.error(`✗ ${now.probe}: incompatible storage layout change:`);
      for (const p of problems) console.error(`    ${p}`);
    } else if (JSON.stringify(old) !== JSON.stringify(now)) {
      failed = true;
      console.error(`✗ ${now.probe}: compatible change (appended fields) not yet snapshotted; run update and commit`);
    } else {
      console.log(`✓ ${now.probe}: ${now.namespaces.length} namespace(s) unchanged`);
    }
  }
  for (const f of fs.existsSync(SNAP_DIR) ? fs.readdirSync(SNAP_DIR) : []) {
    const probe = f.replace(/\.json$/, '');
    if (!current.some((c) => c.probe === probe)) {
      failed = true;
      console.error(`✗ ${probe}: snapshot exists but its probe is gone (a contract's storage would be orphaned)`);
    }
  }
  if (failed) process.exit(1);
}

function update() {
  fs.mkdirSync(SNAP_DIR, { recursive: true });
  for (const now of probes()) {
    if (fs.existsSync(snapPath(now.probe))) {
      const problems = compareProbe(JSON.parse(fs.readFileSync(snapPath(now.probe), 'utf8')), now);
      if (problems.length && !process.argv.includes('--force')) {
        console.error(`✗ ${now.probe}: refusing to snapshot an incompatible change (use --force for a fresh deployment):`);
        for (const p of problems) console.error(`    ${p}`);
        process.exitCode = 1;
        continue;
      }
    }
    fs.writeFileSync(snapPath(now.probe), JSON.stringify(now, null, 2) + '\n');
    console.log(`wrote ${path.relative(ROOT, snapPath(now.probe))}`);
  }
}

function selftest() {
  const u = (label, bytes = 32) => ({ label, encoding: 'inplace', bytes });
  const st = (label, members) => ({
    label: `struct ${label}`,
    encoding: 'inplace',
    bytes: 32 * (1 + Math.max(0, ...members.map((m) => m.slot))),
    members,
  });
  const m = (label, slot, type, offset = 0) => ({ label, slot, offset, type });
  const map = (key, value) => ({ label: `mapping(${key.label} => ${value.label})`, encoding: 'mapping', bytes: 32, key, value });
  const arr = (base) => ({ label: `${base.label}[]`, encoding: 'dynamic_array', bytes: 32, base });
  const probe = (type) => ({ probe: 'P', namespaces: [m('ns', 0, type)] });

  const inner = st('I', [m('a', 0, u('uint256'))]);
  const innerGrown = st('I', [m('a', 0, u('uint256')), m('b', 1, u('uint256'))]);
  const base = st('S', [m('x', 0, u('uint256')), m('y', 1, map(u('address'), inner)), m('z', 2, arr(inner))]);
  const cases = [
    ['identical', base, true],
    ['append a field', st('S', [...base.members, m('w', 3, u('uint256'))]), true],
    ['grow a mapping-value struct', st('S', [base.members[0], m('y', 1, map(u('address'), innerGrown)), base.members[2]]), true],
    ['remove a field', st('S', base.members.slice(0, 2)), false],
    ['reorder fields', st('S', [m('y', 0, base.members[1].type), m('x', 1, u('uint256')), base.members[2]]), false],
    ['retype a field', st('S', [m('x', 0, u('uint128', 16)), base.members[1], base.members[2]]), false],
    ['grow an array-element struct', st('S', [base.members[0], base.members[1], m('z', 2, arr(innerGrown))]), false],
    ['insert a field in the middle', st('S', [base.members[0], m('new', 1, u('uint256')), m('y', 2, base.members[1].type), m('z', 3, base.members[2].type)]), false],
    ['fill a slot\'s unused bits', st('P', [m('p', 0, u('uint128', 16)), m('fill', 0, u('uint64', 8), 16), m('q', 1, u('uint256'))]), true],
    ['insert over a packed field', st('P', [m('p', 0, u('uint128', 16)), m('fill', 0, u('uint64', 8), 8), m('q', 1, u('uint256'))]), false],
  ];
  let bad = 0;
  const packed = st('P', [m('p', 0, u('uint128', 16)), m('q', 1, u('uint256'))]);
  for (const [name, type, ok] of cases) {
    const problems = compareProbe(probe(type.label === 'struct P' ? packed : base), probe(type));
    const pass = (problems.length === 0) === ok;
    if (!pass) bad++;
    console.log(`${pass ? '✓' : '✗'} ${name}: ${ok ? 'accepted' : 'rejected'} expected, got ${problems.length ? problems.join('; ') : 'accepted'}`);
  }
  const removedNs = compareProbe(probe(base), { probe: 'P', namespaces: [] });
  if (removedNs.length === 0) bad++;
  console.log(`${removedNs.length ? '✓' : '✗'} remove a namespace: rejected expected`);
  if (bad) {
    console.error(`${bad} selftest case(s) failed`);
    process.exit(1);
  }
}

const cmd = process.argv[2] || 'check';
const commands = { check, update, selftest };
if (!commands[cmd]) {
  console.error('usage: storage-layout.js check|update|selftest');
  process.exit(2);
}
commands[cmd]();
