// The demo page's own script (no inline scripts: the page runs under a strict CSP).
(function () {
  'use strict';
  var input = document.getElementById('demo-q');
  Autocompeter(input, { url: '/v1', domain: 'demo' });

  // Nothing to submit to on the demo: Enter without a chosen option stays here.
  document.getElementById('demo-form').addEventListener('submit', function (e) {
    e.preventDefault();
  });

  // Show this server's own address in the snippets.
  document.querySelectorAll('.origin').forEach(function (el) {
    el.textContent = location.origin;
  });
})();
