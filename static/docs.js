// The /docs page: a copy button on each example. A file of its own, not inline
// code, so the page runs under the service's Content-Security-Policy.
(function () {
  'use strict';
  if (!navigator.clipboard) return; // only over https or on localhost

  document.querySelectorAll('pre.example').forEach(function (pre) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy this example');
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(pre.querySelector('code').textContent).then(
        function () { flash(button, 'Copied'); },
        function () { flash(button, 'Copy failed'); }
      );
    });
    pre.appendChild(button);
  });

  function flash(button, text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = 'Copy'; }, 1500);
  }
})();
