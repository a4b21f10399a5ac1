// Run by `npm install` (`prepare`, before the bundles are built): fixes, in node_modules, a bug of
// a dependency that no release fixes yet, so the bundles and the tests use the fixed code.
//
// fauxqs 2.4.1 (local-sqs's S3) sorts a bucket's keys with `localeCompare` but pages with `<=`
// on the continuation key (dist/s3/s3Store.js, `listObjects`). The two orders disagree ('_' sorts
// before digits in the locale's, after them in code units), so the second page of a job's objects
// skipped its record objects (`0.jsonl` …) past its `_changes/` parts: `--since-job` on local-sqs
// compared a job of more than 1,000 messages with nothing. S3 lists in UTF-8 binary order
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html); code-unit order is the
// same for every key without characters beyond U+FFFF. test/jobs/job-results-listing.test.ts fails
// without this patch.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../node_modules/fauxqs/dist/s3/s3Store.js', import.meta.url));
const BROKEN = '.sort((a, b) => a.key.localeCompare(b.key));';
const FIXED = '.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); /* batchfetch: infra/patch-dependencies.ts */';

const source = readFileSync(file, 'utf8');
if (source.includes(BROKEN)) {
  writeFileSync(file, source.replace(BROKEN, FIXED));
} else if (!source.includes(FIXED)) {
  // Another fauxqs: check whether it still needs the fix, then update or drop this patch.
  throw new Error(`infra/patch-dependencies.ts: ${file} no longer has the code it patches; see the comment at the top of this file`);
}
