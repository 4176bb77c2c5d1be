// The site owner's dashboard (/dashboard). No inline code: the page runs under a
// strict CSP. The key lives in sessionStorage only (this tab) and goes out as
// the Auth-Key header of each API call.
(function () {
  'use strict';
  var KEY_ITEM = 'autocompeter.key';
  var PAGE_SIZE = 20;
  var UPLOAD_CHUNK = 500;
  var ERRORS_SHOWN = 100;
  var SVG = 'http://www.w3.org/2000/svg';
  var byId = function (id) { return document.getElementById(id); };

  var state = { key: '', domain: '', cursors: [''], page: 0, query: '', stats: null,
                synonyms: { synonyms: [], one_way: {} }, suggestions: null };

  // ---- the API ----

  function ApiError(status, message, body) {
    this.status = status;
    this.message = message;
    this.body = body;
  }

  function api(method, path, body) {
    var init = { method: method, headers: { 'Auth-Key': state.key } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          throw new ApiError(response.status, json.error || 'HTTP ' + response.status, json);
        }
        return json;
      });
    });
  }

  function el(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // ---- signing in and out ----

  function signIn(key) {
    state.key = key;
    return api('GET', '/v1/stats/daily').then(function (daily) {
      sessionStorage.setItem(KEY_ITEM, key);
      state.domain = daily.domain;
      byId('domain-name').textContent = daily.domain;
      byId('signed-in').hidden = false;
      byId('sign-in-section').hidden = true;
      byId('dashboard').hidden = false;
      drawChart(daily.days);
      showSnippet();
      startWidget();
      return Promise.all([loadStats(), loadTitles(), loadSynonyms(), loadSuggestions()]);
    });
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_ITEM);
    state.key = '';
    byId('dashboard').hidden = true;
    byId('signed-in').hidden = true;
    byId('sign-in-section').hidden = false;
    byId('sign-in-error').textContent = message || '';
    byId('key').value = '';
    byId('key').focus();
  }

  function failed(error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      signOut(error.message);
    } else {
      throw error;
    }
  }

  // ---- numbers ----

  function loadStats() {
    return api('GET', '/v1/stats').then(function (stats) {
      state.stats = stats;
      drawTopSuggestions();
      byId('title-count').textContent = stats.documents.toLocaleString('en');
      rankList(byId('top-queries'), stats.top_queries, 'No searches yet.');
      rankList(byId('top-misses'), stats.top_misses, 'None: every search found something.');
      clickList(byId('top-clicks'), stats.top_clicks);
    });
  }

  function plural(n, one, many) {
    return n.toLocaleString('en') + ' ' + (n === 1 ? one : many);
  }

  function clickList(list, rows) {
    clear(list);
    if (!rows.length) {
      list.appendChild(el('li', 'No clicks on results yet.', { class: 'empty' }));
      return;
    }
    rows.forEach(function (row) {
      var item = el('li');
      // Only http(s) and same-site paths become links, never javascript: and the like.
      var linkable = /^(https?:\/\/|\/(?!\/))/i.test(row.url);
      item.appendChild(linkable ? el('a', row.title, { href: row.url }) : el('span', row.title));
      item.appendChild(document.createTextNode(' '));
      item.appendChild(el('span', plural(row.clicks, 'click', 'clicks'), { class: 'count' }));
      list.appendChild(item);
    });
  }

  function rankList(list, rows, empty) {
    clear(list);
    if (!rows.length) {
      list.appendChild(el('li', empty, { class: 'empty' }));
      return;
    }
    rows.forEach(function (row) {
      var item = el('li');
      var link = el('a', row.q, { href: '#titles' });
      link.addEventListener('click', function (event) {
        event.preventDefault();
        byId('titles-q').value = row.q;
        findTitles(row.q).then(function () { byId('titles-q').focus(); });
      });
      item.appendChild(link);
      item.appendChild(document.createTextNode(' '));
      var count = plural(row.count, 'search', 'searches');
      if (row.click_through !== undefined) {  // the top queries, not the misses
        count += ', ' + Math.round(row.click_through * 100) + '% clicked';
      }
      item.appendChild(el('span', count, { class: 'count' }));
      list.appendChild(item);
    });
  }

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  // Bars of searches per day, with the numbers in words for screen readers and
  // the same numbers as a table under the chart.
  function drawChart(days) {
    var width = 600, height = 160, top = 4, bottom = 1, left = 0;
    var most = days.reduce(function (m, d) { return Math.max(m, d.searches); }, 0);
    var total = days.reduce(function (s, d) { return s + d.searches; }, 0);
    var busiest = days.reduce(function (b, d) { return d.searches > b.searches ? d : b; }, days[0]);
    var summary = total + ' searches in the last ' + days.length + ' days' +
      (most ? ', most on ' + busiest.day + ' (' + most + ')' : '') + '.';
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img',
                             'aria-labelledby': 'chart-caption chart-summary',
                             preserveAspectRatio: 'none', class: 'chart' });
    var slot = (width - left) / days.length;
    var scale = (height - top - bottom) / (most || 1);
    days.forEach(function (d, i) {
      var barHeight = Math.max(d.searches ? 2 : 0, d.searches * scale);
      var bar = svg('rect', { x: left + i * slot + 1, y: height - bottom - barHeight,
                              width: Math.max(1, slot - 2), height: barHeight, class: 'bar' });
      var tip = svg('title', {});
      tip.textContent = d.day + ': ' + d.searches;
      bar.appendChild(tip);
      chart.appendChild(bar);
    });
    chart.appendChild(svg('line', { x1: 0, x2: width, y1: height - bottom, y2: height - bottom,
                                    class: 'axis' }));
    var container = clear(byId('chart'));
    // Labels in HTML, not in the stretched SVG, so they stay readable at any width.
    container.appendChild(el('p', 'most: ' + most, { class: 'axis-label', 'aria-hidden': 'true' }));
    container.appendChild(chart);
    var axis = el('p', null, { class: 'axis-label dates', 'aria-hidden': 'true' });
    axis.appendChild(el('span', days[0].day));
    axis.appendChild(el('span', days[days.length - 1].day));
    container.appendChild(axis);
    container.appendChild(el('p', summary, { id: 'chart-summary', class: 'hint' }));

    var rows = clear(byId('daily-table').tBodies[0]);
    days.forEach(function (d) {
      var row = el('tr');
      row.appendChild(el('td', d.day));
      row.appendChild(el('td', d.searches));
      rows.appendChild(row);
    });
  }

  // ---- titles ----

  function findTitles(query) {
    state.query = query;
    state.cursors = [''];
    state.page = 0;
    return loadTitles();
  }

  function loadTitles() {
    var params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (state.query) params.set('q', state.query);
    if (state.cursors[state.page]) params.set('cursor', state.cursors[state.page]);
    return api('GET', '/v1/documents?' + params).then(function (page) {
      state.cursors[state.page + 1] = page.cursor;
      showTitles(page.documents);
      byId('previous-page').disabled = state.page === 0;
      byId('next-page').disabled = !page.cursor;
    }).catch(failed);
  }

  function showTitles(documents) {
    var rows = clear(byId('titles-table').tBodies[0]);
    var first = state.page * PAGE_SIZE + 1;
    var found = state.query ? ' matching “' + state.query + '”' : '';
    byId('titles-status').textContent = documents.length
      ? 'Titles ' + first + '–' + (first + documents.length - 1) + found + '.'
      : 'No titles' + found + '.';
    documents.forEach(function (d) {
      var row = el('tr');
      row.appendChild(el('td', d.title));
      var cell = el('td', null, { class: 'url' });
      cell.appendChild(el('a', d.url, { href: d.url, rel: 'noopener noreferrer' }));
      row.appendChild(cell);
      row.appendChild(el('td', d.group));
      row.appendChild(el('td', d.popularity, { class: 'number' }));
      var actions = el('td');
      actions.appendChild(deleteButton(d));
      row.appendChild(actions);
      rows.appendChild(row);
    });
  }

  // Two presses: the first asks, the second deletes.
  function deleteButton(d) {
    var button = el('button', 'Delete', { type: 'button', 'aria-label': 'Delete ' + d.title,
                                          class: 'delete' });
    button.addEventListener('click', function () {
      if (button.dataset.armed !== 'yes') {
        button.dataset.armed = 'yes';
        button.textContent = 'Really delete?';
        button.setAttribute('aria-label', 'Really delete ' + d.title + '?');
        return;
      }
      button.disabled = true;
      api('DELETE', '/v1?' + new URLSearchParams({ url: d.url })).then(function () {
        byId('titles-status').textContent = 'Deleted “' + d.title + '”.';
        return Promise.all([loadTitles(), loadStats()]);
      }).then(function () {
        byId('titles-q').focus();
      }).catch(function (error) {
        button.disabled = false;
        byId('titles-status').textContent = 'Not deleted: ' + error.message;
      });
    });
    button.addEventListener('blur', function () {
      if (!button.disabled && button.dataset.armed === 'yes') {
        button.dataset.armed = '';
        button.textContent = 'Delete';
        button.setAttribute('aria-label', 'Delete ' + d.title);
      }
    });
    return button;
  }

  // ---- upload ----

  function parseCsv(text) {
    var rows = [], row = [], cell = '', quoted = false;
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (quoted) {
        if (c !== '"') cell += c;
        else if (text[i + 1] === '"') { cell += '"'; i++; } else quoted = false;
      } else if (c === '"') {
        quoted = true;
      } else if (c === ',') {
        row.push(cell); cell = '';
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        row.push(cell); rows.push(row); row = []; cell = '';
      } else {
        cell += c;
      }
    }
    if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
    rows = rows.filter(function (r) { return r.join('').trim() !== ''; });
    var columns = ['url', 'title', 'popularity', 'group'];
    if (rows.length && rows[0][0].trim().toLowerCase() === 'url') {
      columns = rows.shift().map(function (name) { return name.trim().toLowerCase(); });
    }
    return rows.map(function (r) {
      var entry = {};
      columns.forEach(function (name, index) {
        if (r[index] !== undefined && r[index] !== '') entry[name] = r[index];
      });
      return entry;
    });
  }

  // The formats `autocompeter load` reads: JSON ({"documents"} or a list), JSON Lines, CSV.
  function parseEntries(name, text) {
    text = text.replace(/^\uFEFF/, '');
    if (!/\.csv$/i.test(name)) {
      try {
        var payload = JSON.parse(text);
        if (Array.isArray(payload)) return payload;
        if (payload && Array.isArray(payload.documents)) return payload.documents;
        if (payload && Array.isArray(payload.items)) return payload.items;
        if (payload && typeof payload === 'object' && !/\.json$/i.test(name)) return [payload];
        throw new Error('expected {"documents": [...]} or a list of titles');
      } catch (error) {
        if (/\.json$/i.test(name)) throw new Error(name + ': ' + error.message);
      }
      var lines = text.split(/\r?\n/).filter(function (line) { return line.trim(); });
      try {
        return lines.map(function (line) { return JSON.parse(line); });
      } catch (error) {
        if (/\.(jsonl|ndjson)$/i.test(name)) throw new Error(name + ': ' + error.message);
      }
    }
    return parseCsv(text);
  }

  function upload(file) {
    var status = byId('upload-status'), errors = clear(byId('upload-errors'));
    var bar = byId('upload-bar');
    return file.text().then(function (text) {
      var entries = parseEntries(file.name, text);
      if (!entries.length) throw new Error(file.name + ': no titles in it');
      bar.max = entries.length;
      bar.value = 0;
      byId('upload-progress').hidden = false;
      var stored = 0, rejected = [];
      var chunks = [];
      for (var start = 0; start < entries.length; start += UPLOAD_CHUNK) chunks.push(start);
      return chunks.reduce(function (previous, start) {
        return previous.then(function () {
          var chunk = entries.slice(start, start + UPLOAD_CHUNK);
          return api('POST', '/v1/bulk', { documents: chunk }).catch(function (error) {
            // 400 with `rejected`: none of the chunk was valid; go on with the next.
            if (error.body && Array.isArray(error.body.rejected)) return error.body;
            throw error;
          }).then(function (answer) {
            stored += answer.count || 0;
            (answer.rejected || []).forEach(function (r) {
              rejected.push('Entry ' + (start + r.index + 1) + ': ' + r.error);
            });
            bar.value = start + chunk.length;
            status.textContent = 'Sent ' + bar.value + ' of ' + entries.length + '…';
          });
        });
      }, Promise.resolve()).then(function () {
        status.textContent = 'Stored ' + stored + ' of ' + entries.length + ' titles' +
          (rejected.length ? '; ' + rejected.length + ' rejected:' : '.');
        rejected.slice(0, ERRORS_SHOWN).forEach(function (line) {
          errors.appendChild(el('li', line));
        });
        if (rejected.length > ERRORS_SHOWN) {
          errors.appendChild(el('li', '… and ' + (rejected.length - ERRORS_SHOWN) + ' more'));
        }
        return Promise.all([loadStats(), loadTitles()]);
      });
    }).catch(function (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        return failed(error);
      }
      status.textContent = 'Upload stopped: ' + error.message;
    });
  }

  // ---- an owner's rules: synonyms and query suggestions ----
  // Edited here, saved all at once with PUT: the service checks them and answers
  // what it stored (folded), or a 400 whose one line is shown as it is.

  function commaWords(text) {
    return text.split(',').map(function (word) { return word.trim(); })
      .filter(function (word) { return word; });
  }

  // A list of rules, each with a Remove button; focus goes to the next one's button
  // (or to `after`) when one is removed, so a keyboard user is not sent to the top.
  function ruleList(list, rules, empty, after) {
    clear(list);
    if (!rules.length) {
      list.appendChild(el('li', empty, { class: 'empty' }));
      return;
    }
    rules.forEach(function (rule, index) {
      var item = el('li');
      item.appendChild(el('span', rule.text));
      item.appendChild(document.createTextNode(' '));
      var remove = el('button', 'Remove', { type: 'button', class: 'secondary',
                                            'aria-label': 'Remove ' + rule.text });
      remove.addEventListener('click', function () {
        rule.remove();
        var buttons = list.querySelectorAll('button');
        (buttons[Math.min(index, buttons.length - 1)] || after).focus();
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function say(name, status, error) {
    byId(name + '-status').textContent = status || '';
    byId(name + '-error').textContent = error || '';
  }

  function unsaved(name, what) {
    say(name, 'Not saved yet: press Save ' + what + '.');
  }

  // A rules request that failed: a refused key signs out, anything else is said here.
  function ruleFailure(name, doing) {
    return function (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        return failed(error);
      }
      say(name, '', doing + ': ' + error.message);
    };
  }

  function loadSynonyms() {
    return api('GET', '/v1/synonyms').then(showSynonyms)
      .catch(ruleFailure('synonyms', 'Synonyms not read'));
  }

  function showSynonyms(answer) {
    state.synonyms = { synonyms: answer.synonyms, one_way: answer.one_way };
    drawSynonyms();
  }

  function drawSynonyms() {
    var rules = state.synonyms;
    var changed = function () { drawSynonyms(); unsaved('synonyms', 'synonyms'); };
    ruleList(byId('synonym-groups'), rules.synonyms.map(function (group, index) {
      return { text: group.join(', '),
               remove: function () { rules.synonyms.splice(index, 1); changed(); } };
    }), 'None yet.', byId('group-words'));
    ruleList(byId('one-way-rules'), Object.keys(rules.one_way).map(function (word) {
      return { text: word + ' also finds ' + rules.one_way[word].join(', '),
               remove: function () { delete rules.one_way[word]; changed(); } };
    }), 'None yet.', byId('one-way-word'));
  }

  function addGroup() {
    var words = commaWords(byId('group-words').value);
    if (words.length < 2) {
      say('synonyms', '', 'A group needs two words or more, comma-separated.');
      return;
    }
    state.synonyms.synonyms.push(words);
    byId('group-words').value = '';
    drawSynonyms();
    unsaved('synonyms', 'synonyms');
  }

  function addOneWay() {
    var word = byId('one-way-word').value.trim();
    var targets = commaWords(byId('one-way-targets').value);
    if (!word || !targets.length) {
      say('synonyms', '', 'A one-way rule needs a word and what it also finds.');
      return;
    }
    var known = state.synonyms.one_way[word] || [];
    state.synonyms.one_way[word] = known.concat(targets.filter(function (target) {
      return known.indexOf(target) < 0;
    }));
    byId('one-way-word').value = byId('one-way-targets').value = '';
    byId('one-way-word').focus();
    drawSynonyms();
    unsaved('synonyms', 'synonyms');
  }

  function saveSynonyms() {
    var button = byId('save-synonyms');
    button.disabled = true;
    say('synonyms', 'Saving…');
    return api('PUT', '/v1/synonyms', state.synonyms).then(function (answer) {
      showSynonyms(answer);
      say('synonyms', 'Saved: ' + plural(answer.synonyms.length, 'group', 'groups') + ' and ' +
          plural(Object.keys(answer.one_way).length, 'one-way rule', 'one-way rules') + '.');
    }).catch(ruleFailure('synonyms', 'Not saved')).then(function () {
      button.disabled = false;
    });
  }

  function loadSuggestions() {
    return api('GET', '/v1/suggestions').then(showSuggestions).catch(function (error) {
      // A service without query suggestions: nothing to set, so no section.
      if (error instanceof ApiError && error.status === 404) {
        byId('suggestions').hidden = true;
        return;
      }
      return ruleFailure('suggestions', 'Settings not read')(error);
    });
  }

  function showSuggestions(answer) {
    state.suggestions = { enabled: answer.enabled, min_count: answer.min_count,
                          min_results: answer.min_results, exclude: answer.exclude.slice() };
    byId('suggestions-enabled').checked = answer.enabled;
    byId('suggestions-min-count').value = answer.min_count;
    byId('suggestions-min-results').value = answer.min_results;
    drawSuggestions();
  }

  function excludeQuery(query) {
    var exclude = state.suggestions.exclude;
    if (query && exclude.indexOf(query) < 0) exclude.push(query);
    drawSuggestions();
    unsaved('suggestions', 'query suggestions');
  }

  function drawSuggestions() {
    var exclude = state.suggestions.exclude;
    ruleList(byId('suggestions-exclude'), exclude.map(function (query, index) {
      return { text: query, remove: function () {
        exclude.splice(index, 1);
        drawSuggestions();
        unsaved('suggestions', 'query suggestions');
      } };
    }), 'Nothing excluded.', byId('exclude-query'));
    drawTopSuggestions();
  }

  // As the service excludes: a phrase excludes that search, a one-word phrase every
  // search with the word (both folded; lower case stands in for folding here).
  function excludes(phrases, query) {
    var words = query.toLowerCase().split(' ');
    return phrases.some(function (phrase) {
      phrase = phrase.toLowerCase();
      return phrase === words.join(' ') || (phrase.indexOf(' ') < 0 && words.indexOf(phrase) >= 0);
    });
  }

  // What the stats already show, kept as the settings above keep it: the top queries
  // that found titles, searched often enough and not excluded. No request of its own.
  function drawTopSuggestions() {
    var list = clear(byId('top-suggestions'));
    var settings = state.suggestions;
    if (!settings || !state.stats) return;
    if (!byId('suggestions-enabled').checked) {
      list.appendChild(el('li', 'Off: none are offered.', { class: 'empty' }));
      return;
    }
    var minCount = Number(byId('suggestions-min-count').value) || 1;
    var missed = state.stats.top_misses.map(function (row) { return row.q; });
    var rows = state.stats.top_queries.filter(function (row) {
      return row.count >= minCount && missed.indexOf(row.q) < 0 &&
        !excludes(settings.exclude, row.q);
    });
    if (!rows.length) {
      list.appendChild(el('li', 'None yet: no query searched often enough.', { class: 'empty' }));
    }
    rows.forEach(function (row) {
      var item = el('li');
      item.appendChild(el('span', row.q));
      item.appendChild(document.createTextNode(' '));
      item.appendChild(el('span', plural(row.count, 'search', 'searches'), { class: 'count' }));
      item.appendChild(document.createTextNode(' '));
      var never = el('button', 'Never suggest', { type: 'button', class: 'secondary',
                                                  'aria-label': 'Never suggest ' + row.q });
      never.addEventListener('click', function () {
        excludeQuery(row.q);
        byId('save-suggestions').focus();
      });
      item.appendChild(never);
      list.appendChild(item);
    });
  }

  function whole(input) {
    return input.value === '' ? null : Number(input.value);
  }

  function saveSuggestions() {
    var button = byId('save-suggestions');
    var body = { enabled: byId('suggestions-enabled').checked,
                 min_count: whole(byId('suggestions-min-count')),
                 min_results: whole(byId('suggestions-min-results')),
                 exclude: state.suggestions.exclude };
    button.disabled = true;
    say('suggestions', 'Saving…');
    return api('PUT', '/v1/suggestions', body).then(function (answer) {
      showSuggestions(answer);
      say('suggestions', answer.enabled ? 'Saved: query suggestions are on.'
                                        : 'Saved: query suggestions are off.');
    }).catch(ruleFailure('suggestions', 'Not saved')).then(function () {
      button.disabled = false;
    });
  }

  // ---- the widget ----

  // The README's widget snippet, with this service's address and the domain in it
  // (tests/browser/test_dashboard.py checks they are the same text).
  function snippetText() {
    var origin = location.origin;
    var domain = state.domain.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    return [
      '<link rel="stylesheet" href="' + origin + '/static/autocompeter.css">',
      '<script src="' + origin + '/static/autocompeter.min.js" defer></script>',
      '<input type="search" id="search" aria-label="Search this site">',
      '<script>',
      '  window.Autocompeter = window.Autocompeter || function () {',
      '    (Autocompeter.q = Autocompeter.q || []).push(arguments);',
      '  };',
      "  Autocompeter('#search', {url: '" + origin + "/v1', domain: '" + domain + "'});",
      '</script>'
    ].join('\n') + '\n';
  }

  function showSnippet() {
    byId('snippet').firstElementChild.textContent = snippetText();
  }

  function copySnippet() {
    var done = function () { byId('copy-status').textContent = 'Copied.'; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(snippetText()).then(done, selectSnippet);
    } else {
      selectSnippet();
    }
  }

  function selectSnippet() {
    var range = document.createRange();
    range.selectNodeContents(byId('snippet'));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    byId('copy-status').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
  }

  function startWidget() {
    var input = byId('try-q');
    if (input.autocompeter) input.autocompeter.options.domain = state.domain;
    else Autocompeter(input, { url: '/v1', domain: state.domain });
  }

  // ---- wiring ----

  byId('sign-in').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = byId('key').value.trim();
    signIn(key).catch(function (error) {
      signOut(error.message);
    });
  });
  byId('sign-out').addEventListener('click', function () { signOut(''); });
  byId('titles-search').addEventListener('submit', function (event) {
    event.preventDefault();
    findTitles(byId('titles-q').value.trim());
  });
  byId('next-page').addEventListener('click', function () {
    state.page += 1;
    loadTitles();
  });
  byId('previous-page').addEventListener('click', function () {
    state.page = Math.max(0, state.page - 1);
    loadTitles();
  });
  byId('upload').addEventListener('submit', function (event) {
    event.preventDefault();
    var file = byId('upload-file').files[0];
    if (file) upload(file);
  });
  byId('add-group').addEventListener('submit', function (event) {
    event.preventDefault();
    addGroup();
  });
  byId('add-one-way').addEventListener('submit', function (event) {
    event.preventDefault();
    addOneWay();
  });
  byId('save-synonyms').addEventListener('click', saveSynonyms);
  byId('add-exclude').addEventListener('submit', function (event) {
    event.preventDefault();
    excludeQuery(byId('exclude-query').value.trim());
    byId('exclude-query').value = '';
  });
  byId('suggestion-settings').addEventListener('submit', function (event) {
    event.preventDefault();
    saveSuggestions();
  });
  byId('suggestion-settings').addEventListener('input', function () {
    drawTopSuggestions();
    unsaved('suggestions', 'query suggestions');
  });
  byId('save-suggestions').addEventListener('click', saveSuggestions);
  byId('copy-snippet').addEventListener('click', copySnippet);
  byId('try').addEventListener('submit', function (event) { event.preventDefault(); });

  var saved = sessionStorage.getItem(KEY_ITEM);
  if (saved) {
    signIn(saved).catch(function (error) { signOut(error.message); });
  }
})();
