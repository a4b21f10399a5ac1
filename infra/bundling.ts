import type { BuildOptions, Plugin } from 'esbuild';
import { assertWithMessage } from './assert-message.ts';

/** Node.js major the Lambda functions run on (nodejs24.x) and bundles target. */
const NODE_TARGET = 'node24';

/**
 * Leaves out code the bundles carry but never run on Node 24, each cut measured by the import
 * time of dist/fetch-batch/index.mjs (README, Benchmark):
 * - undici's non-SIMD llhttp build: Node 24 (V8) always has WebAssembly SIMD on x64 and arm64, so
 *   undici loads `llhttp_simd-wasm.js` (lib/dispatcher/client-h1.js); the fallback is 70 KiB of
 *   base64. Its stub exports nothing, which that code treats as "not preloaded".
 * - the AWS SDK's Smithy RPCv2 CBOR protocol: re-exported by @aws-sdk/core's protocols barrel, but
 *   SQS speaks AWS JSON 1.0 and S3 REST-XML. The stub throws if a client ever asked for it.
 * - `bowser`, a browser user-agent parser the SDK imports dynamically only in browsers.
 */
const trimUnusedCode: Plugin = {
  name: 'batchfetch-trim-unused-code',
  setup(build) {
    build.onResolve({ filter: /^bowser$/ }, () => ({ path: 'bowser', external: true }));
    build.onResolve({ filter: /\/llhttp\/llhttp-wasm\.js$/ }, () => ({ path: 'llhttp-wasm', namespace: 'batchfetch-stub' }));
    build.onResolve({ filter: /\/cbor\/AwsSmithyRpcV2CborProtocol$/ }, () => ({ path: 'cbor-protocol', namespace: 'batchfetch-stub' }));
    build.onLoad({ filter: /^llhttp-wasm$/, namespace: 'batchfetch-stub' }, () => ({ contents: 'module.exports = undefined;', loader: 'js' }));
    build.onLoad({ filter: /^cbor-protocol$/, namespace: 'batchfetch-stub' }, () => ({
      contents: "export class AwsSmithyRpcV2CborProtocol { constructor() { throw new Error('the CBOR protocol is not bundled (infra/bundling.ts)'); } }",
      loader: 'js',
    }));
  },
};

/**
 * The one esbuild configuration for every bundle: the CLI, the Lambda functions built by
 * `npm run build`, and (issue: infrastructure) the CDK app's bundling. ESM, minified, source maps.
 * `createRequire` lets bundled CommonJS dependencies (undici) require Node built-ins.
 *
 * Two settings are about cold start, each measured by the import time of dist/fetch-batch
 * (README, Benchmark):
 * - `mainFields: module, main`: the AWS SDK's packages ship ES modules (`module`, dist-es) beside
 *   CommonJS (`main`, one file per client holding every command). esbuild's default for Node picks
 *   `main` (https://esbuild.github.io/api/#main-fields); the ES modules let it keep only the
 *   commands used: fetch-batch 1,079 → 843 KiB.
 * - `splitting`: a dynamic `import()` becomes a chunk of its own, loaded when first called, so a
 *   client only some configurations or some invocations need (EventBridge when a job finishes,
 *   SQS when a batch is cut off, a CLI command other than the one run) costs nothing before.
 *   Splitting needs `outdir`: every bundle is a directory (`index.mjs` plus `chunks/`).
 */
const sharedBuildOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: NODE_TARGET,
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  mainFields: ['module', 'main'],
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  // undici's own switch for bundlers: without it, its experimental Milo parser (two builds,
  // 148 KiB) is bundled although only UNDICI_USE_MILO=1 turns it on.
  define: { esbuildDetection: 'true' },
  // assertWithMessage: a failed assert() is Node's AssertionError in the bundles too (assert-message.ts).
  plugins: [trimUnusedCode, assertWithMessage],
};

/** The Lambda functions, each `functions/<name>/index.ts` bundled to `dist/<name>/index.mjs`. */
const FUNCTIONS = ['fetch-batch', 'enqueue'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

export { FUNCTIONS, NODE_TARGET, sharedBuildOptions };
export type { FunctionName };
