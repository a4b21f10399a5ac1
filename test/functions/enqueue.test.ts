import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { parseQueueMessage } from '../../lib/schemas/queue-message.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { drainQueue } from '../support/drain-queue.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('enqueue handler', () => {
  let sqs: EmbeddedSqs;
  let s3: S3Client;
  let server: TestServer;

  beforeAll(async () => {
    sqs = await startEmbeddedSqs();
    s3 = new S3Client({ endpoint: sqs.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  });

  afterAll(async () => {
    s3.destroy();
    await sqs.stop();
  });

  beforeEach(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    await server.close();
  });

  async function setup(messageUrls = 100) {
    const queue = await sqs.createQueue(`enqueue-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const handler = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls, allowNetworks: ['127.0.0.0/8'], jobsTable: undefined, resultsBucket: undefined, resultsPrefix: 'results/', eventBusName: undefined },
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      sqs: sqs.client,
      s3,
    });
    const urlsOnQueue = async () => (await drainQueue(sqs.client, queue.queueUrl)).flatMap((body) => {
      const message = parseQueueMessage(body);
      if (!message.ok) throw new Error(message.error);
      return message.value.requests.map((r) => r.url);
    });
    return { handler, urlsOnQueue, queue };
  }

  test('inline URLs: exact message count, invalid URLs reported and not sent', async () => {
    const { handler, urlsOnQueue } = await setup(100);
    const urls = Array.from({ length: 250 }, (_, i) => `https://example.com/${i}`);

    const summary = await handler({ urls: [...urls, 'not a url', 'ftp://x/'] }, lambdaContext());

    expect(summary).toMatchObject({ urls: 250, messages: 3, invalid: 2 });
    expect(summary.invalidSamples.map((s) => s.code)).toStrictEqual(['INVALID_URL', 'INVALID_URL']);
    expect((await urlsOnQueue()).sort()).toStrictEqual([...urls].sort());
  });

  test('an S3 object of 2,500 lines (text and JSON lines) is streamed into exactly 25 messages', async () => {
    const { handler, urlsOnQueue } = await setup(100);
    const bucket = `lists-${Date.now()}`;
    sqs.createBucket(bucket);
    const lines = Array.from({ length: 2500 }, (_, i) => (i % 2 ? `https://example.com/p${i}` : JSON.stringify({ url: `https://example.com/p${i}`, id: `n${i}` })));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'daily/urls.txt', Body: `# header\n${lines.join('\n')}\n` }));

    const summary = await handler({ source: `s3://${bucket}/daily/urls.txt` }, lambdaContext());

    expect(summary).toMatchObject({ urls: 2500, messages: 25, invalid: 0 });
    expect(await urlsOnQueue()).toHaveLength(2500);
  });

  test('a sitemap index with a plain and a gzipped sitemap yields every page URL once', async () => {
    const { handler, urlsOnQueue } = await setup(3);
    const pages = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `https://example.com/${prefix}/${i}?a=1&amp;b=2`);
    const sitemap = (locs: string[]) => `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs.map((l) => `<url><loc>${l}</loc></url>`).join('')}</urlset>`;
    server
      .route('/sitemap.xml', routes.text(`<sitemapindex><sitemap><loc>${server.url('/a.xml')}</loc></sitemap><sitemap><loc> ${server.url('/b.xml.gz')} </loc></sitemap></sitemapindex>`))
      .route('/a.xml', routes.text(sitemap(pages('a', 4))))
      .route('/b.xml.gz', (_req, res) => res.end(gzipSync(sitemap(pages('b', 5)))));

    const summary = await handler({ sitemap: server.url('/sitemap.xml') }, lambdaContext());

    expect(summary).toMatchObject({ urls: 9, messages: 3, invalid: 0 });
    const queued = await urlsOnQueue();
    expect(queued).toHaveLength(9);
    expect(queued).toContain('https://example.com/b/4?a=1&b=2');
  });

  test('a sitemap on a blocked address is refused by the destination policy', async () => {
    const { handler } = await setup();

    await expect(handler({ sitemap: 'http://169.254.169.254/latest/meta-data' }, lambdaContext())).rejects.toThrow(/BLOCKED|not allowed/);
  });

  test.each([
    [{}, 'invalid enqueue event: the event needs exactly one of urls, requests, source or sitemap'],
    [{ urls: ['https://a.example/'], sitemap: 'https://a.example/s.xml' }, 'invalid enqueue event: the event needs exactly one of urls, requests, source or sitemap'],
    [{ source: 'https://bucket/key' }, 'invalid enqueue event (source): source must look like s3://bucket/key'],
    [{ urls: ['https://a.example/'], extra: 1 }, 'invalid enqueue event (extra): Invalid key: Expected never but received "extra"'],
  ])('rejects the event %j with a clear error', async (event, message) => {
    const { handler } = await setup();

    await expect(handler(event, lambdaContext())).rejects.toThrow(message);
  });
});
