// Unit tests of the widget's pure helpers: `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Autocompeter = require('../../static/autocompeter.js');
const {
  fold, words, highlightRanges, completion, parseOptions, buildUrl, pingUrl, safeUrl, next,
  suggestionsFor,
} = Autocompeter._internals;

/** The highlighted pieces of a title, as the widget would wrap them in <mark>. */
const marked = (title, terms) => highlightRanges(title, terms).map(([a, b]) => title.slice(a, b));

test('exports one function with its helpers, also on globalThis', () => {
  assert.equal(typeof Autocompeter, 'function');
  assert.equal(globalThis.Autocompeter, Autocompeter);
});

test('fold: lower case, accents stripped', () => {
  assert.equal(fold('Café'), 'cafe');
  assert.equal(fold('CRÈME Brûlée'), 'creme brulee');
  assert.equal(fold('Cafe\u0301'), 'cafe'); // already decomposed
  assert.equal(fold('Ångström'), 'angstrom');
  assert.equal(fold('İstanbul'), 'istanbul');
  assert.equal(fold(42), '42');
});

test('words: folded, split on anything but letters and digits', () => {
  assert.deepEqual(words('json.DU'), ['json', 'du']);
  assert.deepEqual(words('  Crème—brûlée, 2014! '), ['creme', 'brulee', '2014']);
  assert.deepEqual(words('...'), []);
});

test('highlightRanges: prefixes of words, in the original text', () => {
  assert.deepEqual(highlightRanges('json.dumps — Serialize', ['json', 'du']), [[0, 4], [5, 7]]);
  assert.deepEqual(marked('json.dumps — Serialize obj to a JSON formatted str', ['json', 'du']),
    ['json', 'du', 'JSON']);
});

test('highlightRanges: only at word starts, never inside a word', () => {
  assert.deepEqual(marked('Uncertain certainty', ['cert']), ['cert']);
  assert.deepEqual(highlightRanges('Uncertain certainty', ['cert']), [[10, 14]]);
  assert.deepEqual(marked('os.path.join', ['ath']), []);
});

test('highlightRanges: accents and case do not matter, the original is kept', () => {
  assert.deepEqual(marked('Café Crème', ['cafe', 'CREM']), ['Café', 'Crèm']);
  assert.deepEqual(marked('cafe creme', ['CAFÉ']), ['cafe']);
  // A decomposed accent stays with its letter.
  const title = 'Cafe\u0301 noir';
  assert.deepEqual(marked(title, ['cafe']), ['Cafe\u0301']);
  assert.deepEqual(marked('İstanbul', ['ist']), ['İst']);
});

test('highlightRanges: several words, the longest prefix wins, server terms too', () => {
  assert.deepEqual(marked('Python testing in Python', ['pyth te']), ['Pyth', 'te', 'Pyth']);
  assert.deepEqual(marked('JavaScript', ['j', 'java']), ['Java']);
  assert.deepEqual(marked('Python', ['pythn', 'python']), ['Python']); // a corrected spelling
  const ranges = highlightRanges('a b a b', ['a', 'b']);
  for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] >= ranges[i - 1][1]);
});

test('highlightRanges: a joined query word marks its parts through the server terms', () => {
  // `nodejs` found "Node.js" (core/search.py): the server adds the parts it spans.
  assert.deepEqual(marked('Node.js streams', ['nodejs']), []);
  assert.deepEqual(marked('Node.js streams', ['nodejs', 'nodejs', 'node', 'js']), ['Node', 'js']);
  assert.deepEqual(marked('The Amazing Spider-Man', ['spiderm', 'spider', 'm']),
    ['Spider', 'M']);
  // Two words joined (`spider man` found "Spiderman"): the joined term marks it whole.
  assert.deepEqual(marked('Spiderman comics', ['spider man', 'spider', 'man', 'spiderman']),
    ['Spiderman']);
});

test('highlightRanges: nothing to highlight', () => {
  assert.deepEqual(highlightRanges('Title', []), []);
  assert.deepEqual(highlightRanges('Title', undefined), []);
  assert.deepEqual(highlightRanges('', ['a']), []);
  assert.deepEqual(highlightRanges('Title', ['...']), []);
});

test('highlightRanges: markup in a title is plain text to it', () => {
  const title = '<img src=x onerror=alert(1)>';
  assert.deepEqual(marked(title, ['img', 'alert']), ['img', 'alert']);
  // The ranges only ever cut the title; nothing is added to it.
  const pieces = [];
  let pos = 0;
  for (const [a, b] of highlightRanges(title, ['img', 'src', 'onerror'])) {
    pieces.push(title.slice(pos, a), title.slice(a, b));
    pos = b;
  }
  pieces.push(title.slice(pos));
  assert.equal(pieces.join(''), title);
});

test('completion: the rest of the last word from the top title', () => {
  assert.deepEqual(completion('json.du', 'json.dumps — Serialize'), {
    rest: 'mps', value: 'json.dumps',
  });
  assert.deepEqual(completion('JSO', 'json.dumps'), { rest: 'n', value: 'json' });
  assert.deepEqual(completion('creme bru', 'Crème brûlée'), { rest: 'lée', value: 'creme brûlée' });
  assert.equal(completion('json ', 'json.dumps'), null); // the last word is finished
  assert.equal(completion('json', 'json.dumps'), null); // nothing left to complete
  assert.equal(completion('xyz', 'json.dumps'), null);
  assert.equal(completion('', 'json.dumps'), null);
});

test('parseOptions: defaults', () => {
  assert.deepEqual(parseOptions(undefined, 'example.com'), {
    url: '/v1', domain: 'example.com', number: 10, groups: [], token: '', ping: true,
    clicks: true, delay: 100, suggestions: 3, suggestionsLabel: 'Popular searches',
    titlesLabel: 'Titles',
  });
  assert.equal(parseOptions({}, '').domain, '');
});

test('parseOptions: groups as an array or a comma-separated string', () => {
  assert.deepEqual(parseOptions({ groups: 'private, staff,,' }).groups, ['private', 'staff']);
  assert.deepEqual(parseOptions({ groups: [' a ', 'b', ''] }).groups, ['a', 'b']);
  assert.deepEqual(parseOptions({ groups: '' }).groups, []);
  assert.deepEqual(parseOptions({ groups: null }).groups, []);
});

test('parseOptions: number, url, domain, ping', () => {
  assert.equal(parseOptions({ number: '5' }).number, 5);
  assert.equal(parseOptions({ number: 0 }).number, 10);
  assert.equal(parseOptions({ number: 'lots' }).number, 10);
  assert.equal(parseOptions({ number: 1000 }).number, 100);
  assert.equal(parseOptions({ url: 'https://search.example/v1/' }).url, 'https://search.example/v1');
  assert.equal(parseOptions({ domain: 'demo' }, 'host.example').domain, 'demo');
  assert.equal(parseOptions({ ping: false }).ping, false);
  assert.equal(parseOptions({ ping: 0 }).ping, true); // only an explicit false turns it off
  assert.equal(parseOptions({ clicks: false }).clicks, false);
  assert.equal(parseOptions({ clicks: 0 }).clicks, true);
});

test('token: sent as t, after the groups it opens, and only when given', () => {
  const token = 'eyJkIjoiZGVtbyJ9.c2ln-_A';
  const o = parseOptions({ domain: 'demo', groups: 'staff', token: ` ${token} ` });
  assert.equal(o.token, token);
  assert.equal(buildUrl(o, 'rota'), `/v1?d=demo&q=rota&n=10&g=staff&t=${token}&s=3`);
  assert.equal(buildUrl(parseOptions({ domain: 'demo', token: '' }), 'rota'),
    '/v1?d=demo&q=rota&n=10&s=3');
  assert.equal(buildUrl(parseOptions({ domain: 'demo', token: null }), 'rota'),
    '/v1?d=demo&q=rota&n=10&s=3');
  // Whatever a site passes is encoded, never spliced into the URL as is.
  assert.equal(buildUrl(parseOptions({ domain: 'demo', token: 'a&n=100' }), 'x'),
    '/v1?d=demo&q=x&n=10&t=a%26n%3D100&s=3');
});

test('buildUrl: q, d, n and g encoded', () => {
  const o = parseOptions({ domain: 'demo', suggestions: 0 });
  assert.equal(buildUrl(o, 'json du'), '/v1?d=demo&q=json%20du&n=10');
  assert.equal(buildUrl(o, 'a&b=c#d?'), '/v1?d=demo&q=a%26b%3Dc%23d%3F&n=10');
  assert.equal(buildUrl(o, 'café'), '/v1?d=demo&q=caf%C3%A9&n=10');
  const g = parseOptions({ url: 'https://s.example/v1', domain: 'a.b', number: 3, groups: ['x y', 'z&'],
    suggestions: 0 });
  assert.equal(buildUrl(g, 'q'), 'https://s.example/v1?d=a.b&q=q&n=3&g=x%20y%2Cz%26');
  const url = new URL(buildUrl(g, '<script>'));
  assert.equal(url.searchParams.get('q'), '<script>');
  assert.equal(url.searchParams.get('g'), 'x y,z&');
  assert.equal(buildUrl(parseOptions({ url: '/v1?key=1', domain: 'd' }), 'q'), '/v1?key=1&d=d&q=q&n=10&s=3');
});

test('parseOptions: suggestions, 0..10, and their labels', () => {
  assert.equal(parseOptions({ suggestions: '5' }).suggestions, 5);
  assert.equal(parseOptions({ suggestions: 0 }).suggestions, 0); // off, unlike number: 0
  assert.equal(parseOptions({ suggestions: -1 }).suggestions, 3);
  assert.equal(parseOptions({ suggestions: 'some' }).suggestions, 3);
  assert.equal(parseOptions({ suggestions: 50 }).suggestions, 10);
  const o = parseOptions({ suggestionsLabel: 'Others searched', titlesLabel: 'Pages' });
  assert.equal(o.suggestionsLabel, 'Others searched');
  assert.equal(o.titlesLabel, 'Pages');
});

test('buildUrl: s only when suggestions are asked for, after everything else', () => {
  const token = 'eyJkIjoiZGVtbyJ9.c2ln-_A';
  assert.equal(buildUrl(parseOptions({ domain: 'demo', suggestions: 5 }), 'py'),
    '/v1?d=demo&q=py&n=10&s=5');
  assert.equal(buildUrl(parseOptions({ domain: 'demo', groups: 'a', token, suggestions: 1 }), 'py'),
    `/v1?d=demo&q=py&n=10&g=a&t=${token}&s=1`);
  assert.equal(buildUrl(parseOptions({ domain: 'demo', suggestions: 0 }), 'py'),
    '/v1?d=demo&q=py&n=10');
  assert.equal(new URL(buildUrl(parseOptions({ domain: 'demo' }), 'py'), 'https://x.example')
    .searchParams.get('s'), '3');
});

test('suggestionsFor: strings, without the typed query itself', () => {
  const d = { suggestions: ['python testing', 'Python', 'pytest fixtures'] };
  assert.deepEqual(suggestionsFor(d, 'pyt'), ['python testing', 'Python', 'pytest fixtures']);
  // The typed query, whatever its case, accents or spacing, is not suggested back.
  assert.deepEqual(suggestionsFor(d, ' PYTHON  '), ['python testing', 'pytest fixtures']);
  assert.deepEqual(suggestionsFor({ suggestions: ['café crème'] }, 'Cafe creme'), []);
  assert.deepEqual(suggestionsFor({ suggestions: [42, '<b>x</b>'] }, 'x'), ['42', '<b>x</b>']);
  assert.deepEqual(suggestionsFor({}, 'py'), []); // the original service sends none
  assert.deepEqual(suggestionsFor({ suggestions: [] }, 'py'), []);
});

test('highlightRanges marks a suggestion as it marks a title', () => {
  assert.deepEqual(marked('python testing', ['pyth te']), ['pyth', 'te']);
});

test('pingUrl', () => {
  assert.equal(pingUrl(parseOptions({})), '/v1/ping');
  assert.equal(pingUrl(parseOptions({ url: 'https://s.example/v1/' })), 'https://s.example/v1/ping');
  assert.equal(pingUrl(parseOptions({ url: '/v1?x=1' })), '/v1/ping');
  assert.equal(pingUrl(parseOptions({ url: '/v1?x=1' }), 'click'), '/v1/click');
});

test('safeUrl: only http(s) links', () => {
  const base = 'https://site.example/page';
  assert.ok(safeUrl('https://site.example/a', base));
  assert.ok(safeUrl('/relative', base));
  assert.ok(safeUrl('http://other.example/', base));
  assert.ok(!safeUrl('javascript:alert(1)', base));
  assert.ok(!safeUrl(' JavaScript:alert(1)', base));
  assert.ok(!safeUrl('data:text/html,<b>x</b>', base));
  assert.ok(!safeUrl('http://[bad', base));
});

test('Autocompeter() without an input throws a clear error', () => {
  assert.throws(() => Autocompeter(null), /input/);
});

test('fold: as the server folds (NFKD, marks and format characters dropped, letter table)', () => {
  assert.equal(fold('Ørsted'), 'orsted');
  assert.equal(fold('ǾRSTED Ǽble'), 'orsted aeble'); // NFKD gives Ø and Æ: the table still applies
  assert.equal(fold('Straße ẞ'), 'strasse ss');
  assert.equal(fold('ΟΔΟΣ'), 'οδοσ'); // no final-sigma form: one character at a time
  assert.equal(fold('ﬁnal Ｆｕｌｌ'), 'final full');
  assert.equal(fold('soft\u00adhyphen'), 'softhyphen');
  assert.equal(fold('Łódź Þing ħ ı'), 'lodz thing h i');
});

test('highlightRanges: letters without a decomposition match their plain forms', () => {
  assert.deepEqual(marked('Ørsted wind', ['orsted']), ['Ørsted']);
  assert.deepEqual(marked('Ørsted wind', ['ørs']), ['Ørs']);
  assert.deepEqual(marked('Große Straße', ['grosse', 'strass']), ['Große', 'Straß']);
  assert.deepEqual(marked('Soft\u00adhyphen', ['softh']), ['Soft\u00adh']);
});

test('parseOptions: the default domain is what the caller passes (the page\'s host name)', () => {
  assert.equal(parseOptions({}, 'localhost').domain, 'localhost');
});

test('completion: nothing for a last word that folds to nothing', () => {
  assert.equal(completion('json \u200b', 'json.dumps'), null);
  assert.equal(completion('json \u0301', 'json.dumps'), null);
});

test('parseOptions: delay, in ms, 0 to ask on every change', () => {
  assert.equal(parseOptions({ delay: 250 }).delay, 250);
  assert.equal(parseOptions({ delay: '40' }).delay, 40);
  assert.equal(parseOptions({ delay: 0 }).delay, 0);
  for (const unset of [undefined, null, -5, 'soon', true]) {
    assert.equal(parseOptions({ delay: unset }).delay, 100, String(unset));
  }
});

test('next: a value that found nothing never hides a longer one', () => {
  const none = { terms: [], results: [] };
  const cache = { pyh: none, 'python g': none, qqxzvkw: none };
  // The server may correct a longer word, or drop a word that matches nothing.
  assert.equal(next(cache, null, 'pyhton'), 'ask');
  assert.equal(next(cache, null, 'python gui'), 'ask');
  assert.equal(next(cache, null, 'qqxzvkw more'), 'ask');
  // Its own answer is known, even when it is none.
  assert.equal(next(cache, null, 'pyh'), 'show');
});

test('next: the cache, the request on its way, and values without words', () => {
  const cache = { hobbit: { terms: ['hobbit'], results: [['/h', 'The Hobbit']] } };
  assert.equal(next(cache, null, 'hobbit'), 'show');
  assert.equal(next(cache, 'hob', 'hobbit'), 'show'); // answered: no need to wait
  assert.equal(next(cache, 'hob', 'hob'), 'wait'); // already asked, not asked twice
  assert.equal(next(cache, 'hob', 'ho'), 'ask');
  assert.equal(next(cache, null, 'hob'), 'ask');
  assert.equal(next(cache, null, ''), 'clear');
  assert.equal(next(cache, null, '.-!'), 'clear');
  assert.equal(next(cache, null, '\u0301'), 'clear'); // a lone mark is no word
  // Cached keys are the trimmed values; nothing inherited counts as an answer.
  assert.equal(next(Object.create(null), null, 'constructor'), 'ask');
});
