// AWS's own Lambda runtime interface client (aws-lambda-ric), built once from its npm package for
// the Lambda-runtime test. Its native addon is compiled against the Node that loads it, so the
// cache is keyed by what the build depends on: the package's version, Node's module ABI
// (`process.versions.modules`) and the CPU architecture. A directory counts as built only once
// its stamp file is written, so a build cut off half-way is redone, never half-used.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RIC_VERSION = '4.0.2';
const RIC_DIR = join(ROOT, '.tmp', `aws-lambda-ric-${RIC_VERSION}-abi${process.versions.modules}-${process.arch}`);
const RIC_ENTRY = join(RIC_DIR, 'node_modules', 'aws-lambda-ric', 'index.mjs');
const RIC_STAMP = join(RIC_DIR, 'built');

/** The runtime client's entry point; throws, saying how to build it, when it is not built. */
function lambdaRicEntry(): string {
  if (existsSync(RIC_STAMP) && existsSync(RIC_ENTRY)) return RIC_ENTRY;
  throw new Error(`aws-lambda-ric ${RIC_VERSION} is not built for Node ABI ${process.versions.modules} (${RIC_DIR}): `
    + '`npm test` builds it before Jest starts (node test/harness/prepare.ts builds it alone)');
}

export { lambdaRicEntry, RIC_DIR, RIC_STAMP, RIC_VERSION };
