#!/usr/bin/env node
// Measures static/autocompeter.js minified + gzipped, in bytes.
// Minifies with terser from .work/node (scripts/install-browser-deps.sh installs it);
// without it, falls back to a conservative comment/indentation stripper (says so).
// Usage: node scripts/widget-size.mjs [--max BYTES]   (exits 1 above --max)
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'static', 'autocompeter.js');
const source = readFileSync(file, 'utf8');

async function minify(code) {
  try {
    const require = createRequire(join(root, '.work', 'node', 'package.json'));
    const terser = require('terser');
    const out = await terser.minify(code, { compress: true, mangle: true, format: { comments: false } });
    return { code: out.code, how: 'terser' };
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    // Conservative: drop block comments, whole-line // comments and indentation only.
    const stripped = code
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('//'))
      .join('\n');
    return { code: stripped, how: 'comment/whitespace stripper (terser not installed)' };
  }
}

const { code, how } = await minify(source);
const gz = (s) => gzipSync(Buffer.from(s), { level: 9 }).length;
console.log(`static/autocompeter.js
  source:            ${Buffer.byteLength(source)} bytes (${gz(source)} gzipped)
  minified:          ${Buffer.byteLength(code)} bytes, by ${how}
  minified+gzipped:  ${gz(code)} bytes`);

const i = process.argv.indexOf('--max');
if (i > 0 && gz(code) > Number(process.argv[i + 1])) {
  console.error(`too big: over ${process.argv[i + 1]} bytes`);
  process.exit(1);
}
