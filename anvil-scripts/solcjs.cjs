#!/usr/bin/env node
// A `solc` stand-in for forge, backed by solcjs (npm `solc`), because no native solc
// binary can be downloaded on our machines. Forge calls it two ways:
//   solc --version                         -> must print "Version: 0.8.x+commit..."
//   solc [--allow-paths ..] [--base-path B] --standard-json   (JSON on stdin)
// Imports are resolved against the base path (forge's project root) and the allow-paths.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n');
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('solcjs wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--base-path' && args[i + 1]) roots.push(args[++i]);
  else if (args[i] === '--allow-paths' && args[i + 1]) roots.push(...args[++i].split(','));
  else if (args[i] === '--include-path' && args[i + 1]) roots.push(args[++i]);
}
roots.push(process.cwd());

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
  for (const candidate of candidates) {
    try {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    } catch (_) { /* try the next root */ }
  }
  return { error: 'File not found: ' + importPath };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
