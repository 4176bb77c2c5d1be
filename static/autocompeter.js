/*! Autocompeter widget: autocomplete search for a text input. MPL-2.0.
 * Usage: Autocompeter(document.querySelector('input'), {url: '/v1', domain: 'example.com'})
 * No dependencies, no build step. Docs: docs/widget.md */
(function (root) {
  'use strict';

  var WORD = /[\p{L}\p{N}\p{M}]+/gu;
  var LAST_WORD = /[\p{L}\p{N}\p{M}]+$/u;
  var HAS_WORD = /[\p{L}\p{N}]/u;
  var count = 0;

  // ---- pure helpers (no DOM; exported on Autocompeter._internals) ----

  /** Case- and accent-insensitive form: NFD, combining marks stripped, lower case. */
  function fold(s) {
    return String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
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
    if (!last) return null;
    var w = fold(last[0]);
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

  /** Options with defaults: url '/v1', domain location.host, number 10, groups [], ping true. */
  function parseOptions(options, host) {
    var o = options || {}, g = o.groups, n = parseInt(o.number, 10);
    if (g == null) g = [];
    if (!Array.isArray(g)) g = String(g).split(',');
    return {
      url: String(o.url || '/v1').replace(/\/+$/, '') || '/v1',
      domain: String(o.domain || host || ''),
      number: n > 0 ? Math.min(n, 100) : 10,
      groups: g.map(function (x) { return String(x).trim(); }).filter(Boolean),
      ping: o.ping !== false
    };
  }

  /** The search URL for query `q`. */
  function buildUrl(o, q) {
    var e = encodeURIComponent;
    return o.url + (o.url.indexOf('?') < 0 ? '?' : '&') + 'd=' + e(o.domain) + '&q=' + e(q) +
      '&n=' + o.number + (o.groups.length ? '&g=' + e(o.groups.join(',')) : '');
  }

  function pingUrl(o) {
    return o.url.split('?')[0].replace(/\/+$/, '') + '/ping';
  }

  /** Only http(s) URLs become links (never javascript: and the like). */
  function safeUrl(url, base) {
    try {
      return /^https?:$/.test(new URL(url, base).protocol);
    } catch (e) {
      return false;
    }
  }

  // ---- the widget ----

  function Autocompeter(input, options) {
    if (!input || !input.ownerDocument) throw new TypeError('Autocompeter: an <input> is required');
    if (input.autocompeter) return input.autocompeter;
    var loc = root.location || {};
    var o = parseOptions(options, loc.host);
    var doc = input.ownerDocument;
    var id;
    do id = 'autocompeter-' + ++count; while (doc.getElementById(id));

    function el(tag, cls, attrs, text) {
      var e = doc.createElement(tag);
      if (cls) e.className = 'autocompeter-' + cls;
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (text != null) e.textContent = text;
      return e;
    }

    var wrap = el('span');
    wrap.className = 'autocompeter';
    var hint = el('span', 'hint', { 'aria-hidden': 'true' });
    var list = el('div', 'list', { id: id, role: 'listbox', 'aria-label': 'Suggestions' });
    var status = el('span', 'status', { role: 'status', 'aria-live': 'polite' });
    list.hidden = true;
    input.parentNode.insertBefore(wrap, input);
    wrap.append(input, hint, list, status);

    function attr(k, v) { input.setAttribute(k, v); }
    attr('role', 'combobox');
    attr('aria-autocomplete', 'both');
    attr('aria-expanded', 'false');
    attr('aria-controls', id);
    attr('autocomplete', 'off');

    var cache = Object.create(null);
    var results = [], active = -1, pending = null, ctrl = null, pinged = !o.ping, warned = false,
      completed = null;

    function warn(e) {
      if (!warned && root.console) console.warn('Autocompeter:', e && e.message || e);
      warned = true;
    }

    function open(yes) {
      list.hidden = !yes;
      attr('aria-expanded', String(yes));
      wrap.classList.toggle('autocompeter-open', yes);
      if (!yes) setActive(-1);
      updateHint();
    }

    function setActive(i) {
      var opts = list.children;
      if (opts[active]) opts[active].setAttribute('aria-selected', 'false');
      active = i;
      if (opts[i]) {
        opts[i].setAttribute('aria-selected', 'true');
        attr('aria-activedescendant', opts[i].id);
        if (opts[i].scrollIntoView) opts[i].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
      updateHint();
    }

    function render(value, entry) {
      var terms = [value].concat(entry.terms || []);
      results = entry.results;
      active = -1;
      input.removeAttribute('aria-activedescendant');
      list.textContent = '';
      results.forEach(function (r, i) {
        var title = String(r[1]), pos = 0;
        var a = el('a', 'option', {
          id: id + '-' + i, role: 'option', href: r[0], tabindex: '-1', 'aria-selected': 'false'
        });
        highlightRanges(title, terms).forEach(function (g) {
          a.append(title.slice(pos, g[0]), el('mark', 0, 0, title.slice(g[0], g[1])));
          pos = g[1];
        });
        a.append(title.slice(pos));
        list.append(a);
      });
      var n = results.length;
      status.textContent = n ? n + (n > 1 ? ' results' : ' result') : 'No results';
      open(n > 0 && doc.activeElement === input);
    }

    function reset() {
      results = [];
      list.textContent = status.textContent = '';
      open(false);
    }

    function update() {
      var v = input.value.trim();
      if (ctrl && pending !== v) {
        ctrl.abort();
        ctrl = null;
      }
      if (!HAS_WORD.test(v)) return reset();
      if (cache[v]) return render(v, cache[v]);
      for (var k in cache) {
        if (!cache[k].results.length && v.indexOf(k) === 0) return render(v, cache[k]);
      }
      if (ctrl) return; // this very value is on its way
      var c = ctrl = new AbortController();
      pending = v;
      fetch(buildUrl(o, v), { signal: c.signal })
        .then(function (r) {
          return r.json().then(function (d) {
            if (!r.ok) throw new Error(d && d.error || 'HTTP ' + r.status);
            return d;
          });
        })
        .then(function (d) {
          var entry = cache[v] = {
            terms: d.terms || [],
            results: (d.results || []).filter(function (r) { return r && safeUrl(r[0], loc.href); })
          };
          if (ctrl === c) ctrl = null;
          if (input.value.trim() === v) render(v, entry); // else: stale, discard
        }, function (e) {
          if (ctrl === c) ctrl = null;
          if (e.name === 'AbortError') return;
          if (input.value.trim() === v) reset();
          warn(e);
        });
    }

    function updateHint() {
      var v = input.value;
      completed = null;
      hint.textContent = '';
      if (list.hidden || active >= 0 || !results.length || input.selectionEnd !== v.length ||
          input.scrollWidth > input.clientWidth) return;
      var c = completion(v, results[0][1]);
      if (!c) return;
      completed = c;
      var cs = root.getComputedStyle(input), s = hint.style;
      ['font', 'letterSpacing', 'wordSpacing', 'textIndent', 'textTransform', 'lineHeight',
        'boxSizing', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft',
        'borderTopWidth', 'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth'
      ].forEach(function (p) { s[p] = cs[p]; });
      s.left = input.offsetLeft + 'px';
      s.top = input.offsetTop + 'px';
      s.width = input.offsetWidth + 'px';
      s.height = input.offsetHeight + 'px';
      hint.append(el('span', 'hint-typed', 0, v), c.rest);
    }

    function choose(i) {
      var a = list.children[i];
      if (a) a.click(); // the link's own click: the select event below, then navigation
    }

    list.addEventListener('mousedown', function (e) { e.preventDefault(); }); // keep focus
    list.addEventListener('click', function (e) {
      var a = e.target.closest && e.target.closest('[role=option]');
      if (!a) return;
      var r = results[+a.id.slice(id.length + 1)] || [a.href, a.textContent];
      var ev = new CustomEvent('autocompeter:select', {
        bubbles: true, cancelable: true, detail: { url: r[0], title: r[1] }
      });
      if (!input.dispatchEvent(ev)) e.preventDefault();
      open(false);
    });

    input.addEventListener('input', update);
    input.addEventListener('keyup', updateHint);
    input.addEventListener('blur', function () { open(false); });
    input.addEventListener('focus', function () {
      if (!pinged) {
        pinged = true;
        fetch(pingUrl(o)).catch(function () {});
      }
      if (input.value.trim()) update();
    });

    input.addEventListener('keydown', function (e) {
      var k = e.key, n = results.length, shown = !list.hidden;
      if (e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
      if (k === 'ArrowDown' || k === 'ArrowUp') {
        if (!n) return;
        e.preventDefault();
        if (!shown) return open(true);
        // Stop at the ends; Up from the first option goes back to the typed text.
        setActive(k === 'ArrowDown' ? Math.min(active + 1, n - 1) : Math.max(active - 1, -1));
      } else if (k === 'Enter') {
        if (shown && active >= 0) {
          e.preventDefault();
          choose(active);
        } else if (input.form) {
          e.preventDefault();
          open(false);
          if (input.form.requestSubmit) input.form.requestSubmit();
          else input.form.submit();
        }
      } else if (k === 'Escape') {
        if (shown) {
          e.preventDefault();
          open(false);
        } else if (input.value) {
          e.preventDefault();
          input.value = '';
          update();
        }
      } else if (k === 'Tab' && completed && !e.shiftKey) {
        e.preventDefault();
        input.value = completed.value;
        update();
      }
    });

    var api = { input: input, options: o, close: function () { open(false); } };
    input.autocompeter = api;
    return api;
  }

  Autocompeter._internals = {
    fold: fold, words: words, highlightRanges: highlightRanges, completion: completion,
    parseOptions: parseOptions, buildUrl: buildUrl, pingUrl: pingUrl, safeUrl: safeUrl
  };
  root.Autocompeter = Autocompeter;
  if (typeof module === 'object' && module && module.exports) module.exports = Autocompeter;
})(typeof globalThis === 'object' ? globalThis : this);
