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

  var state = { key: '', domain: '', cursors: [''], page: 0, query: '' };

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
      return Promise.all([loadStats(), loadTitles()]);
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
  byId('copy-snippet').addEventListener('click', copySnippet);
  byId('try').addEventListener('submit', function (event) { event.preventDefault(); });

  var saved = sessionStorage.getItem(KEY_ITEM);
  if (saved) {
    signIn(saved).catch(function (error) { signOut(error.message); });
  }
})();
