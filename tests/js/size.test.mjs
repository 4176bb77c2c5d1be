// The widget as served stays small: static/autocompeter.min.js (checked in, built by
// scripts/build-widget.mjs) under 4 KB gzipped. Measures the checked-in file, so it
// needs no minifier and holds on a fresh clone; tests/js/widget-build.test.mjs checks
// that the file is the build of the current source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const built = readFileSync(new URL('../../static/autocompeter.min.js', import.meta.url));

test('autocompeter.min.js is under 4096 bytes gzipped', () => {
  // Level 9, as app/http/static_files.py compresses it for the wire.
  const bytes = gzipSync(built, { level: 9 }).length;
  assert.ok(bytes > 500 && bytes <= 4096, `${bytes} bytes gzipped`);
});
