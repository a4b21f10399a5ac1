import type { Plugin } from 'esbuild';

/**
 * Gives every message-less `assert(value)` in bundled code a message, so that a failed assertion
 * throws Node's `AssertionError` (code `ERR_ASSERTION`) in the bundles as it does from the sources.
 *
 * Without a message, Node builds one from the caller's source line
 * (https://nodejs.org/api/assert.html#assertokvalue-message): it reads the line and tokenizes it
 * from its first column with acorn (`getFirstExpression` in lib/internal/errors/error_source.js).
 * In a minified bundle that line is the whole bundle, tokenized out of context: on Node 24 the
 * tokenizer fails partway (`SyntaxError: Expecting Unicode escape sequence \uXXXX`) and that
 * SyntaxError is thrown in place of the AssertionError (and even when it succeeds, it takes time
 * that grows with the bundle: https://github.com/nodejs/node/issues/52677, fix proposed in
 * https://github.com/nodejs/node/pull/62338). undici asserts on what its HTTP parser hands it,
 * e.g. `assert(statusCode >= 100)` for a status line `HTTP/1.1 099`: from the sources that is
 * ERR_ASSERTION, a PROTOCOL_ERROR; from the bundles it was a SyntaxError without a code, INTERNAL.
 *
 * Only `assert(value)` and `assert.ok(value)` without a message build one from the source; every
 * other function of the module is Node's own.
 */
const ASSERT_WITH_MESSAGE = `
const assert = require('node:assert');
const MESSAGE = 'The expression evaluated to a falsy value';
function ok(value, message) {
  if (arguments.length === 0) return assert.ok();
  return assert.ok(value, message ?? MESSAGE);
}
module.exports = Object.assign(ok, assert, { ok });
`;

const NAMESPACE = 'batchfetch-assert';

const assertWithMessage: Plugin = {
  name: 'batchfetch-assert-with-message',
  setup(build) {
    // The module's own require of node:assert (in NAMESPACE) resolves as usual: a Node built-in.
    build.onResolve({ filter: /^(node:)?assert$/ }, (args) => (args.namespace === NAMESPACE ? undefined : { path: 'assert', namespace: NAMESPACE }));
    build.onLoad({ filter: /^assert$/, namespace: NAMESPACE }, () => ({ contents: ASSERT_WITH_MESSAGE, loader: 'js' }));
  },
};

export { assertWithMessage };
