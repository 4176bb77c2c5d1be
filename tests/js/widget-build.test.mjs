// static/autocompeter.min.js is the build of static/autocompeter.js: nobody edits
// one without the other (rebuild with `node scripts/build-widget.mjs`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { build, buildPath, header, loadTerser, sourcePath } from '../../scripts/build-widget.mjs';

const source = readFileSync(sourcePath, 'utf8');
const checkedIn = readFileSync(buildPath, 'utf8');

function terserMissing() {
  try {
    loadTerser();
    return false;
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    return 'terser is not installed (scripts/install-browser-deps.sh installs it)';
  }
}

test('the build names the SHA-256 of the current source (needs no terser)', () => {
  assert.equal(checkedIn.split('\n', 1)[0] + '\n', header(source),
    'static/autocompeter.js changed: run node scripts/build-widget.mjs');
});

test('the build is byte for byte what the script makes now', { skip: terserMissing() },
  async () => {
    assert.equal(checkedIn, await build(source),
      'static/autocompeter.min.js differs from its build: run node scripts/build-widget.mjs');
  });
