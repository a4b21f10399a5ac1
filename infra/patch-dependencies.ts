// Run by `npm install` (`prepare`, before the bundles are built): fixes, in node_modules, bugs of
// a dependency that no release fixes yet, so the bundles and the tests use the fixed code. Each
// patch replaces one exact piece of code and is idempotent; a dependency whose code changed fails
// the install, so that the patch is checked again rather than silently dropped.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Patch {
  /** The file under node_modules. */
  readonly file: string;
  readonly broken: string;
  readonly fixed: string;
}

const MARK = '/* batchfetch: infra/patch-dependencies.ts */';

const PATCHES: readonly Patch[] = [
  // fauxqs 2.4.1 (local-sqs's S3) sorts a bucket's keys with `localeCompare` but pages with `<=`
  // on the continuation key (dist/s3/s3Store.js, `listObjects`). The two orders disagree ('_'
  // sorts before digits in the locale's, after them in code units), so the second page of a job's
  // objects skipped record objects. S3 lists in UTF-8 binary order
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html); code-unit order is
  // the same for every key without characters beyond U+FFFF.
  // test/jobs/job-results-listing.test.ts fails without this patch.
  {
    file: 'fauxqs/dist/s3/s3Store.js',
    broken: '.sort((a, b) => a.key.localeCompare(b.key));',
    fixed: `.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); ${MARK}`,
  },
  // fauxqs 2.4.1's PutObject ignores conditional headers (its GetObject honours them). S3 writes
  // with `If-None-Match: *` only when the key does not exist, else answers 412 Precondition
  // Failed, and with `If-Match: <etag>` only over that version (404 when there is none)
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). A job's
  // message stores its records with `If-None-Match: *`: the first delivery to store them is the
  // one whose records stand (docs/jobs.md). The check and the write run in one synchronous step
  // of the server, so two concurrent PUTs cannot both pass it.
  // test/jobs/conditional-put.test.ts fails without this patch.
  {
    file: 'fauxqs/dist/s3/actions/putObject.js',
    broken: '    const obj = store.putObject(bucket, key, body, contentType, metadata, systemMeta, checksumData);\n    reply.header("etag", obj.etag);',
    fixed: `    { ${MARK}
        const current = store.buckets.get(bucket)?.get(key);
        const ifNoneMatch = request.headers["if-none-match"];
        const ifMatch = request.headers["if-match"];
        if (ifMatch !== undefined && !current) throw new S3Error("NoSuchKey", "The specified key does not exist.", 404, \`/\${bucket}/\${key}\`);
        if ((ifNoneMatch === "*" && current) || (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== current.etag)) {
            throw new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
        }
    }
    const obj = store.putObject(bucket, key, body, contentType, metadata, systemMeta, checksumData);
    reply.header("etag", obj.etag);`,
  },
];

for (const patch of PATCHES) {
  const file = fileURLToPath(new URL(`../node_modules/${patch.file}`, import.meta.url));
  const source = readFileSync(file, 'utf8');
  if (source.includes(patch.broken)) {
    writeFileSync(file, source.replace(patch.broken, patch.fixed));
  } else if (!source.includes(patch.fixed)) {
    // Another version: check whether it still needs the fix, then update or drop this patch.
    throw new Error(`infra/patch-dependencies.ts: ${file} no longer has the code it patches; see the comment above its patch`);
  }
}
