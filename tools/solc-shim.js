#!/usr/bin/env node
// A solc command-line stand-in backed by solcjs (WebAssembly), so py-solc-x and brownie compile
// offline: py-solc-x's own installer downloads native binaries from a host we cannot reach.
// It answers the two invocations those tools make: `--version` and `--standard-json`.
'use strict';
const fs = require('fs');
const path = require('path');

const projectRoot = path.resolve(__dirname, '..');
const solc = require(path.join(projectRoot, 'node_modules', 'solc'));

function findImport(importPath) {
  // Import callback for the remapped paths (`@openzeppelin/...` -> node_modules) and plain
  // project-relative paths; solc asks for each import it cannot resolve from the sources given.
  const candidates = [
    importPath,
    path.join(projectRoot, importPath),
    path.join(projectRoot, 'node_modules', importPath),
  ];
  for (const candidate of candidates) {
    try {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    } catch (err) {
      // try the next candidate
    }
  }
  return { error: `File not found: ${importPath}` };
}

function readStdin() {
  return fs.readFileSync(0, 'utf8');
}

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes('--standard-json')) {
  const output = solc.compile(readStdin(), { import: findImport });
  // No process.exit(): it would cut stdout beyond the 64 KiB pipe buffer.
  process.stdout.write(output);
} else {
  process.stderr.write('solc-shim: only --version and --standard-json are supported\n');
  process.exitCode = 2;
}
