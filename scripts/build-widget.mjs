#!/usr/bin/env node
// Builds static/autocompeter.min.js, the widget as served, from the readable
// static/autocompeter.js with terser (scripts/install-browser-deps.sh installs it
// into .work/node). The first line names the source's SHA-256, so a test without
// terser still sees when one file changed without the other (tests/js/widget-build.test.mjs).
// Usage: node scripts/build-widget.mjs           writes static/autocompeter.min.js
//        node scripts/build-widget.mjs --check   exits 1 if the checked-in build differs
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const sourcePath = join(root, 'static', 'autocompeter.js');
export const buildPath = join(root, 'static', 'autocompeter.min.js');

// The build's first line: `/*! autocompeter.js sha256:<16 hex> */`.
export function header(source) {
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  return `/*! autocompeter.js sha256:${digest} */\n`;
}

// Throws MODULE_NOT_FOUND when terser is not installed.
export function loadTerser() {
  return createRequire(join(root, '.work', 'node', 'package.json'))('terser');
}

export async function build(source) {
  const { code } = await loadTerser().minify(source, {
    compress: true, mangle: true, format: { comments: false },
  });
  return header(source) + code + '\n';
}

async function main() {
  const built = await build(readFileSync(sourcePath, 'utf8'));
  if (process.argv.includes('--check')) {
    if (readFileSync(buildPath, 'utf8') !== built) {
      console.error('static/autocompeter.min.js is not the build of static/autocompeter.js:'
        + ' run node scripts/build-widget.mjs');
      process.exit(1);
    }
    console.log('static/autocompeter.min.js is up to date');
    return;
  }
  writeFileSync(buildPath, built);
  console.log(`wrote static/autocompeter.min.js (${Buffer.byteLength(built)} bytes)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
