#!/usr/bin/env node
// A stand-in for the native `solc` CLI that forge drives, backed by the npm `solc` package (the real
// compiler built to WebAssembly). Forge only uses two modes: `--version` and `--standard-json`
// (input on stdin, output on stdout). Imports that are not in the input are read from disk,
// relative to the base path and every include path, exactly like the native CLI's file reader.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);

function flagValues(name) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) out.push(args[++i]);
    else if (args[i].startsWith(name + '=')) out.push(args[i].slice(name.length + 1));
  }
  return out;
}

if (args.includes('--version')) {
  // Same shape as the native binary; forge parses the `Version:` line.
  const v = solc.version().replace('Emscripten.clang', 'Linux.g++');
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${v}\n`);
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('tools/solc: only --version and --standard-json are supported\n');
  process.exit(2);
}

const basePath = flagValues('--base-path')[0] || process.cwd();
const includePaths = flagValues('--include-path');
const allowPaths = flagValues('--allow-paths')
  .flatMap((p) => p.split(','))
  .filter(Boolean)
  .map((p) => path.resolve(basePath, p));
const roots = [basePath, ...includePaths].map((p) => path.resolve(p));

function allowed(file) {
  const abs = path.resolve(file);
  return [...roots, ...allowPaths].some((r) => abs === r || abs.startsWith(r + path.sep));
}

function findImport(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : roots.map((r) => path.join(r, importPath));
  for (const c of candidates) {
    try {
      if (allowed(c) && fs.statSync(c).isFile()) return { contents: fs.readFileSync(c, 'utf8') };
    } catch (_) {
      // try the next root
    }
  }
  return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
}

const input = fs.readFileSync(0, 'utf8');
const output = solc.compile(input, { import: findImport });
process.stdout.write(output);
