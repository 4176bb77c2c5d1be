/*! Autocompeter widget: autocomplete search for a text input. MPL-2.0.
 * Usage: Autocompeter('#q', {url: 'https://search.example.com/v1', domain: 'example.com'})
 * No dependencies, no build step. Docs: docs/widget.md */
(function (root) {
  'use strict';

  // Python's words are runs of letters and digits once marks and format
  // characters are dropped, so those belong to a word here too.
  var WORD_CHARS = '[\\p{L}\\p{N}\\p{M}\\p{Cf}]+';
  var WORD = new RegExp(WORD_CHARS, 'gu');
  var LAST_WORD = new RegExp(WORD_CHARS + '$', 'u');
  var HAS_WORD = /[\p{L}\p{N}]/u;
  var IGNORED = /[\p{M}\p{Cf}]/gu;
  var HINT_STYLES = ['font', 'letterSpacing', 'wordSpacing', 'textIndent', 'textTransform',
    'lineHeight', 'boxSizing', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft',
    'borderTopWidth', 'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth'];
  var count = 0;

  // Letters that NFKD leaves alone but the server folds ("ø" -> "o", "ß" -> "ss"),
  // keyed by their lower-case form.
  // BEGIN folds: written by scripts/gen_widget_folds.py from Python's table; do not edit
  var FOLDS = {"ß":"ss","æ":"ae","ð":"d","ø":"o","þ":"th","đ":"d","ħ":"h","ı":"i","ł":"l","œ":"oe","ς":"σ","ᲀ":"в","ᲁ":"д","ᲂ":"о","ᲃ":"с","ᲄ":"т","ᲅ":"т","ᲆ":"ъ","ᲇ":"ѣ","ᲈ":"ꙋ"};
  // END folds

  // ---- pure helpers (no DOM; exported on Autocompeter._internals) ----

  /**
   * Case- and accent-insensitive form, as the server folds (core/text.py):
   * each character NFKD-decomposed, combining marks and format characters
   * dropped, lower-cased, then looked up in FOLDS. Character by character, so
   * a final "Σ" folds like any other.
   */
  function fold(s) {
    var out = '';
    for (var ch of String(s).normalize('NFKD').replace(IGNORED, '')) {
      ch = ch.toLowerCase();
      out += FOLDS[ch] || ch;
    }
    return out;
  }

  /** The folded words of a text (split on anything but letters and digits). */
  function words(text) {
    return fold(text).match(WORD) || [];
  }

  /** Fold one word, remembering for each folded unit where it ends in the original. */
  function foldMap(word) {
    var s = '', ends = [], i = 0;
    for (var ch of word) {
      i += ch.length;
      var f = fold(ch);
      if (!f && ends.length) ends[ends.length - 1] = i; // a mark joins the letter before
      for (var k = 0; k < f.length; k++) ends.push(i);
      s += f;
    }
    return { s: s, ends: ends };
  }

  /** Each title word that begins with one of `list` (folded), as [start, end, word]. */
  function eachMatch(title, list, fn) {
    var re = new RegExp(WORD.source, 'gu'), m;
    while ((m = re.exec(title))) {
      var f = foldMap(m[0]);
      if (fn(m, f, list) === false) return;
    }
  }

  /**
   * [start, end) ranges of the ORIGINAL title to highlight: for each word of the
   * title, the longest of `terms` (query words and the server's terms) that is a
   * prefix of it, compared folded. Sorted, never overlapping.
   */
  function highlightRanges(title, terms) {
    var list = [], out = [];
    (terms || []).forEach(function (t) { list = list.concat(words(t)); });
    if (!list.length) return out;
    eachMatch(String(title), list, function (m, f) {
      var best = 0;
      list.forEach(function (w) {
        if (w.length > best && f.s.indexOf(w) === 0) best = w.length;
      });
      if (best) out.push([m.index, m.index + f.ends[best - 1]]);
    });
    return out;
  }

  /**
   * The inline completion of the last word of `value` from `title`, or null:
   * {rest: the greyed text after what was typed, value: the box after accepting}.
   */
  function completion(value, title) {
    var last = LAST_WORD.exec(value), hit = null;
    var w = last && fold(last[0]);
    if (!w) return null; // nothing typed, or only marks or invisible characters
    eachMatch(String(title), null, function (m, f) {
      if (f.s.length > w.length && f.s.indexOf(w) === 0) {
        var rest = m[0].slice(f.ends[w.length - 1]);
        if (rest) {
          hit = { rest: rest, value: value.slice(0, last.index) + m[0] };
          return false;
        }
      }
    });
    return hit;
  }

  /** Options with defaults: url '/v1', domain `host` (the page's host name), number 10,
   * groups [], token '' (a signed token opening private groups), ping true, clicks true
   * (report the chosen result), delay 100 (ms the box must stay unchanged before asking),
   * suggestions 3 (popular searches asked for with `s=`, 0..10; 0 asks none) and the
   * labels of their group and of the titles' group. */
  function parseOptions(options, host) {
    var o = options || {}, g = o.groups, n = parseInt(o.number, 10), d = parseInt(o.delay, 10);
    var s = parseInt(o.suggestions, 10);
    if (g == null) g = [];
    if (!Array.isArray(g)) g = String(g).split(',');
    return {
      url: String(o.url || '/v1').replace(/\/+$/, '') || '/v1',
      domain: String(o.domain || host || ''),
      number: n > 0 ? Math.min(n, 100) : 10,
      groups: g.map(function (x) { return String(x).trim(); }).filter(Boolean),
      token: o.token ? String(o.token).trim() : '',
      ping: o.ping !== false,
      clicks: o.clicks !== false,
      delay: d >= 0 ? d : 100,
      suggestions: s >= 0 ? Math.min(s, 10) : 3,
      suggestionsLabel: String(o.suggestionsLabel || 'Popular searches'),
      titlesLabel: String(o.titlesLabel || 'Titles')
    };
  }

  /** The search URL for query `q`. */
  function buildUrl(o, q) {
    var e = encodeURIComponent;
    return o.url + (o.url.indexOf('?') < 0 ? '?' : '&') + 'd=' + e(o.domain) + '&q=' + e(q) +
      '&n=' + o.number + (o.groups.length ? '&g=' + e(o.groups.join(',')) : '') +
      (o.token ? '&t=' + e(o.token) : '') + (o.suggestions ? '&s=' + o.suggestions : '');
  }

  /** The suggestions of answer `d` worth showing for the typed `v`: as strings, without
   * the one that is `v` itself (folded, word by word), which choosing would not change. */
  function suggestionsFor(d, v) {
    var typed = words(v).join(' ');
    return (d.suggestions || []).map(String).filter(function (s) {
      return words(s).join(' ') !== typed;
    });
  }

  /** `name` next to the search URL: /v1/ping, /v1/click. */
  function pingUrl(o, name) {
    return o.url.split('?')[0].replace(/\/+$/, '') + '/' + (name || 'ping');
  }

  /** Only http(s) URLs become links (never javascript: and the like). */
  function safeUrl(url, base) {
    try {
      return /^https?:$/.test(new URL(url, base).protocol);
    } catch (e) {
      return false;
    }
  }

  // ---- building the widget: `w` holds one widget's elements and state ----

  function el(doc, tag, cls, attrs, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = 'autocompeter-' + cls;
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  /** An element id no other element of the document has. */
  function newId(doc) {
    var id;
    do id = 'autocompeter-' + ++count; while (doc.getElementById(id));
    return id;
  }

  /** Wraps the input with the hint, the list and the live region; the widget's state. */
  function build(input, o) {
    var doc = input.ownerDocument, id = newId(doc);
    var w = {
      input: input, o: o, doc: doc, id: id, cache: Object.create(null), results: [], opts: [],
      active: -1, pending: null, ctrl: null, pinged: !o.ping, warned: false, completed: null,
      wrap: el(doc, 'span'),
      hint: el(doc, 'span', 'hint', { 'aria-hidden': 'true' }),
      list: el(doc, 'div', 'list', { id: id, role: 'listbox', 'aria-label': 'Suggestions' }),
      status: el(doc, 'span', 'status', { role: 'status', 'aria-live': 'polite' })
    };
    w.wrap.className = 'autocompeter';
    w.list.hidden = true;
    input.parentNode.insertBefore(w.wrap, input);
    w.wrap.append(input, w.hint, w.list, w.status);
    var aria = { role: 'combobox', 'aria-autocomplete': 'both', 'aria-expanded': 'false',
      'aria-controls': id, autocomplete: 'off' };
    for (var k in aria) input.setAttribute(k, aria[k]);
    return w;
  }

  // ---- showing: the list, the active option, the hint ----

  function open(w, yes) {
    w.list.hidden = !yes;
    w.input.setAttribute('aria-expanded', String(yes));
    w.wrap.classList.toggle('autocompeter-open', yes);
    if (!yes) setActive(w, -1);
    updateHint(w);
  }

  function setActive(w, i) {
    var opts = w.opts, input = w.input;
    if (opts[w.active]) opts[w.active].setAttribute('aria-selected', 'false');
    w.active = i;
    if (opts[i]) {
      opts[i].setAttribute('aria-selected', 'true');
      input.setAttribute('aria-activedescendant', opts[i].id);
      if (opts[i].scrollIntoView) opts[i].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
    updateHint(w);
  }

  /** One option, its matching word starts in <mark>: a result as a link to `href`, a
   * suggestion (no `href`) as plain text. Options are kept in `w.opts` in list order. */
  function option(w, text, id, terms, href) {
    var pos = 0, a = el(w.doc, href ? 'a' : 'div', 'option', {
      id: w.id + '-' + id, role: 'option', tabindex: '-1', 'aria-selected': 'false'
    });
    if (href) a.href = href;
    highlightRanges(text, terms).forEach(function (g) {
      a.append(text.slice(pos, g[0]), el(w.doc, 'mark', 0, 0, text.slice(g[0], g[1])));
      pos = g[1];
    });
    a.append(text.slice(pos));
    w.opts.push(a);
    return a;
  }

  /** A group of the listbox named by its visible label (ARIA: a listbox holding groups
   * holds only groups, so the titles get one too while suggestions show). */
  function group(w, key, label, items) {
    var g = el(w.doc, 'div', 0, { role: 'group', 'aria-labelledby': w.id + key });
    g.append(el(w.doc, 'div', 'label', { id: w.id + key, role: 'presentation' }, label), ...items);
    return g;
  }

  function render(w, value, entry) {
    var terms = [value].concat(entry.terms || []), n = entry.results.length, o = w.o;
    w.results = entry.results;
    w.sugg = entry.sugg || [];
    w.shown = value; // the query these results answer, for the click report
    w.active = -1;
    w.opts = [];
    w.input.removeAttribute('aria-activedescendant');
    w.list.textContent = '';
    var said = w.sugg.map(function (s, i) { return option(w, s, 's' + i, terms); });
    var titles = w.results.map(function (r, i) { return option(w, String(r[1]), i, terms, r[0]); });
    if (!said.length) w.list.append(...titles);
    else {
      w.list.append(group(w, '-ls', o.suggestionsLabel, said));
      if (n) w.list.append(group(w, '-lt', o.titlesLabel, titles));
    }
    w.status.textContent = n ? n + (n > 1 ? ' results' : ' result') : 'No results';
    open(w, w.opts.length > 0 && w.doc.activeElement === w.input);
  }

  function reset(w) {
    w.results = w.sugg = w.opts = [];
    w.list.textContent = w.status.textContent = '';
    open(w, false);
  }

  /** The greyed completion of the last word, when the caret is at the end and it fits. */
  function updateHint(w) {
    var input = w.input, v = input.value, c;
    w.completed = null;
    w.hint.textContent = '';
    if (w.list.hidden || w.active >= 0 || !w.results.length || input.selectionEnd !== v.length ||
        input.scrollWidth > input.clientWidth) return;
    if (!(c = completion(v, w.results[0][1]))) return;
    w.completed = c;
    overlay(w.hint, input);
    w.hint.append(el(w.doc, 'span', 'hint-typed', 0, v), c.rest);
  }

  /** Lays `hint` exactly over `input`, with its font, padding and borders. */
  function overlay(hint, input) {
    var cs = root.getComputedStyle(input), s = hint.style;
    HINT_STYLES.forEach(function (p) { s[p] = cs[p]; });
    s.left = input.offsetLeft + 'px';
    s.top = input.offsetTop + 'px';
    s.width = input.offsetWidth + 'px';
    s.height = input.offsetHeight + 'px';
  }

  // ---- asking the server ----

  function warnOnce(w, e) {
    if (!w.warned && root.console) console.warn('Autocompeter:', e && e.message || e);
    w.warned = true;
  }

  /**
   * What the box's trimmed value `v` needs, given the answers in `cache` and the value
   * `asking` whose request is on its way: 'clear' (no letters or digits), 'show' (its
   * answer is known), 'wait' (it is being asked) or 'ask'. Only `v`'s own answer
   * counts: a value that found nothing says nothing about a longer one, which the
   * server may answer by correcting a longer word or dropping a word (issue 24).
   */
  function next(cache, asking, v) {
    if (!HAS_WORD.test(v)) return 'clear';
    if (cache[v]) return 'show';
    return v === asking ? 'wait' : 'ask';
  }

  /** Shows the results for the box's value: from the cache at once, or asks the
   * server once the box has stayed unchanged for `delay` ms. */
  function update(w) {
    var v = w.input.value.trim(), step = next(w.cache, w.ctrl && w.pending, v);
    clearTimeout(w.timer);
    if (w.ctrl && step !== 'wait') { // its answer would be for a value no longer shown
      w.ctrl.abort();
      w.ctrl = null;
    }
    if (step === 'clear') return reset(w);
    if (step === 'show') return render(w, v, w.cache[v]);
    if (step === 'ask') w.timer = setTimeout(request, w.o.delay, w, v);
  }

  /** The JSON body of an answer; an error answer throws the server's own message. */
  function readAnswer(r) {
    return r.json().then(function (d) {
      if (!r.ok) throw new Error(d && d.error || 'HTTP ' + r.status);
      return d;
    });
  }

  function request(w, v) {
    var c = w.ctrl = new AbortController();
    w.pending = v;
    fetch(buildUrl(w.o, v), { signal: c.signal }).then(readAnswer).then(function (d) {
      var entry = w.cache[v] = {
        terms: d.terms || [],
        sugg: suggestionsFor(d, v),
        results: (d.results || []).filter(function (r) {
          return r && safeUrl(r[0], (root.location || {}).href);
        })
      };
      if (w.ctrl === c) w.ctrl = null;
      if (w.input.value.trim() === v) render(w, v, entry); // else: stale, discard
    }, function (e) {
      if (w.ctrl === c) w.ctrl = null;
      if (e.name === 'AbortError') return;
      if (w.input.value.trim() === v) reset(w);
      warnOnce(w, e);
    });
  }

  // ---- events ----

  function choose(w, i) {
    var a = w.opts[i];
    if (a) a.click(); // the option's own click: the handler below, then a link navigates
  }

  /** A suggestion chosen fills the box and searches it; a result chosen fires the
   * select event, is reported, and its link navigates unless the event was cancelled. */
  function onListClick(w, e) {
    var i = w.opts.indexOf(e.target.closest && e.target.closest('[role=option]'));
    if (i < 0) return;
    var k = w.sugg.length, r = w.results[i - k];
    if (i < k) {
      w.input.value = w.sugg[i];
      open(w, false);
      return update(w);
    }
    var ev = new CustomEvent('autocompeter:select', {
      bubbles: true, cancelable: true, detail: { url: r[0], title: r[1] }
    });
    if (!w.input.dispatchEvent(ev)) e.preventDefault();
    report(w, r[0]);
    open(w, false);
  }

  /** Tell the server which result was chosen (POST /v1/click), so that titles people
   * pick rise. A beacon outlives the page's unload and, sent as text/plain, needs no
   * CORS preflight; without sendBeacon, a keepalive fetch does the same. */
  function report(w, url) {
    if (!w.o.clicks) return;
    var to = pingUrl(w.o, 'click'), nav = root.navigator || {}, o = w.o;
    // The search the results came from: the service counts the click only if it
    // gives `url` for it. Defaults left out, as the search URL's server reads them.
    var sent = { d: o.domain, q: w.shown, url: url };
    if (o.number !== 10) sent.n = o.number;
    if (o.groups.length) sent.g = o.groups.join(',');
    if (o.token) sent.t = o.token;
    var body = JSON.stringify(sent);
    try {
      if (nav.sendBeacon && nav.sendBeacon(to, body)) return;
    } catch (e) { /* a beacon refused: fall back to fetch */ }
    if (root.fetch) fetch(to, { method: 'POST', body: body, keepalive: true }).catch(function () {});
  }

  function onFocus(w) {
    if (!w.pinged) {
      w.pinged = true;
      fetch(pingUrl(w.o)).catch(function () {});
    }
    if (w.input.value.trim()) update(w);
  }

  /** Up and Down: open the list, then move, stopping at the ends (Up from the first
   * option goes back to the typed text). */
  function onArrow(w, e) {
    var n = w.opts.length;
    if (!n) return;
    e.preventDefault();
    if (w.list.hidden) return open(w, true);
    setActive(w, e.key === 'ArrowDown' ? Math.min(w.active + 1, n - 1) : Math.max(w.active - 1, -1));
  }

  /** Enter: follow the active option, or else submit the form. */
  function onEnter(w, e) {
    var form = w.input.form;
    if (!w.list.hidden && w.active >= 0) {
      e.preventDefault();
      choose(w, w.active);
    } else if (form) {
      e.preventDefault();
      open(w, false);
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  }

  /** Escape: close the list, or else clear the box. */
  function onEscape(w, e) {
    if (!w.list.hidden) {
      e.preventDefault();
      open(w, false);
    } else if (w.input.value) {
      e.preventDefault();
      w.input.value = '';
      update(w);
    }
  }

  /** Tab: accept the hint, if one shows. */
  function onTab(w, e) {
    if (!w.completed || e.shiftKey) return;
    e.preventDefault();
    w.input.value = w.completed.value;
    update(w);
  }

  var KEYS = { ArrowDown: onArrow, ArrowUp: onArrow, Enter: onEnter, Escape: onEscape, Tab: onTab };

  function onKeydown(w, e) {
    if (e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (KEYS.hasOwnProperty(e.key)) KEYS[e.key](w, e);
  }

  function listen(w) {
    var input = w.input, on = function (target, type, fn) {
      target.addEventListener(type, function (e) { fn(w, e); });
    };
    w.list.addEventListener('mousedown', function (e) { e.preventDefault(); }); // keep focus
    on(w.list, 'click', onListClick);
    on(input, 'input', update);
    on(input, 'keyup', updateHint);
    on(input, 'blur', function () { open(w, false); });
    on(input, 'focus', onFocus);
    on(input, 'keydown', onKeydown);
  }

  // ---- the entry point ----

  /**
   * Autocompeter(input, options): `input` is an element or a CSS selector. A
   * selector given while the page is still loading is looked up once it is
   * parsed (DOMContentLoaded), so the call may come before the input.
   */
  function Autocompeter(input, options) {
    var doc = root.document;
    if (typeof input === 'string') {
      if (doc.readyState === 'loading') {
        doc.addEventListener('DOMContentLoaded', function () { Autocompeter(input, options); });
        return;
      }
      input = doc.querySelector(input) || input;
    }
    if (!input || !input.ownerDocument) {
      throw new TypeError('Autocompeter: an <input> is required, not ' + input);
    }
    if (input.autocompeter) return input.autocompeter;
    var w = build(input, parseOptions(options, (root.location || {}).hostname));
    listen(w);
    input.autocompeter = { input: input, options: w.o, close: function () { open(w, false); } };
    return input.autocompeter;
  }

  Autocompeter._internals = {
    fold: fold, words: words, highlightRanges: highlightRanges, completion: completion,
    parseOptions: parseOptions, buildUrl: buildUrl, pingUrl: pingUrl, safeUrl: safeUrl, next: next,
    suggestionsFor: suggestionsFor
  };
  // Calls made before this script ran were queued by the snippet's stub
  // (docs/widget.md): run them now, each on its own so one failing stops no other.
  var queued = root.Autocompeter && root.Autocompeter.q || [];
  root.Autocompeter = Autocompeter;
  queued.forEach(function (args) {
    try {
      Autocompeter.apply(root, args);
    } catch (e) {
      console.error(e);
    }
  });
  if (typeof module === 'object' && module && module.exports) module.exports = Autocompeter;
})(typeof globalThis === 'object' ? globalThis : this);
