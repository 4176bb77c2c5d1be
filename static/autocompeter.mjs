// ES module entry: `import Autocompeter from '/static/autocompeter.mjs'`.
// The widget itself is the classic script; importing it sets globalThis.Autocompeter.
import './autocompeter.js';

export default globalThis.Autocompeter;
