// The widget stays small: under 4 KB minified + gzipped (scripts/widget-size.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/widget-size.mjs', import.meta.url));

test('autocompeter.js is under 4096 bytes minified and gzipped', () => {
  // Exits non-zero (and execFileSync throws) above the budget.
  const out = execFileSync(process.execPath, [script, '--max', '4096'], { encoding: 'utf8' });
  const bytes = Number(/minified\+gzipped:\s+(\d+)/.exec(out)[1]);
  assert.ok(bytes > 500 && bytes <= 4096, out);
});
