import { fileURLToPath } from 'node:url';
import { ConfigurationError, readConsumerConfig, readEnqueueConfig } from '../../lib/index.ts';

describe('configuration from environment variables', () => {
  test('every consumer setting has a safe default', () => {
    expect(readConsumerConfig({})).toStrictEqual({
      engine: { allowNetworks: [] },
      deadlineMarginMs: 3_000,
      maxAttemptsPerUrl: undefined,
    });
  });

  test('reads every documented variable', () => {
    const config = readConsumerConfig({
      FETCH_CONCURRENCY: '128', FETCH_PER_ORIGIN: '8', FETCH_TIMEOUT_MS: '5000', FETCH_CONNECT_TIMEOUT_MS: '2000', FETCH_RETRIES: '3',
      FETCH_MAX_BODY_BYTES: '1024', FETCH_MAX_REDIRECTS: '2', FETCH_BODY_MODE: 'hash', FETCH_ALLOW_NETWORKS: ' 10.0.0.0/8, 192.168.1.0/24 ',
      FETCH_USER_AGENT: 'crawler/1', DEADLINE_MARGIN_MS: '5000', CONTINUATION_QUEUE_URL: 'https://sqs/q', MAX_CONTINUATION_HOPS: '4',
      MAX_ATTEMPTS_PER_URL: '6', RESULTS_BUCKET: 'b', RESULTS_PREFIX: 'out/', STORE_BODIES: 'false', JOBS_TABLE: 'jobs', JOB_EVENT_BUS: 'bus',
    });

    expect(config).toStrictEqual({
      engine: {
        concurrency: 128, perOrigin: 8, timeoutMs: 5000, connectTimeoutMs: 2000, retries: 3, maxBodyBytes: 1024, maxRedirects: 2,
        bodyMode: 'hash', allowNetworks: ['10.0.0.0/8', '192.168.1.0/24'], userAgent: 'crawler/1',
      },
      deadlineMarginMs: 5000,
      maxAttemptsPerUrl: 6,
      continuation: { queueUrl: 'https://sqs/q', maxHops: 4 },
      results: { bucket: 'b', prefix: 'out/', storeBodies: false },
      jobs: { table: 'jobs', eventBusName: 'bus', retentionDays: 90 },
    });
  });

  test('reports every bad variable in one error', () => {
    const read = () => readConsumerConfig({ FETCH_CONCURRENCY: 'many', MAX_CONTINUATION_HOPS: '16', FETCH_BODY_MODE: 'print', STORE_BODIES: 'yes' });

    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow("invalid configuration: FETCH_CONCURRENCY must be an integer from 1 to 4096, got 'many'; "
      + "FETCH_BODY_MODE must be one of discard, hash, keep, got 'print'; MAX_CONTINUATION_HOPS must be an integer from 0 to 10, got '16'; "
      + "STORE_BODIES must be one of true, false, 1, 0, got 'yes'");
  });

  test('what records carry and what counts as OK come from FETCH_ variables too', () => {
    const config = readConsumerConfig({
      FETCH_OK_STATUS: '200-399, 404', FETCH_METHOD: 'head', FETCH_HEAD_FALLBACK: 'true', FETCH_REDIRECT_CHAIN: '1', FETCH_KEEP_HEADERS: 'cache-control, server',
      FETCH_TLS_INFO: 'true', FETCH_TIMINGS: 'true', FETCH_TRUNCATE_AT: '65536', FETCH_ACCEPT_TYPES: 'text/html, application/*',
    });

    expect(config.engine).toMatchObject({
      okStatus: '200-399,404', method: 'HEAD', headFallback: true, redirectChain: true, keepHeaders: ['cache-control', 'server'],
      tlsInfo: true, timings: true, truncateAt: 65536, acceptTypes: ['text/html', 'application/*'],
    });
    expect(() => readConsumerConfig({ FETCH_OK_STATUS: '2xx', FETCH_ACCEPT_TYPES: 'html', FETCH_METHOD: 'GET /' })).toThrow(
      "invalid configuration: FETCH_OK_STATUS must be statuses from 100 to 999 and ranges such as 200-399, separated by commas; '2xx' is not one, got '2xx'; "
      + "FETCH_METHOD must be an HTTP method such as GET or HEAD, got 'GET /'; "
      + "FETCH_ACCEPT_TYPES must be media types such as text/html or image/*; 'html' is not one, got 'html'");
    // Checked where the function reads it, so the construct refuses it at synth too.
    expect(() => readConsumerConfig({ FETCH_KEEP_HEADERS: 'server, x y' }))
      .toThrow("invalid configuration: FETCH_KEEP_HEADERS must be header names separated by commas; 'x y' is not one, got 'server, x y'");
  });

  test('FETCH_MAX_SOCKETS sets the connection budget and FETCH_CA_FILE names a PEM file read at cold start', () => {
    const caFile = fileURLToPath(new URL('../fixtures/private-ca.crt', import.meta.url));

    const config = readConsumerConfig({ FETCH_MAX_SOCKETS: '500', FETCH_CA_FILE: caFile });

    expect(config.engine.maxSockets).toBe(500);
    expect(config.engine.ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(() => readConsumerConfig({ FETCH_CA_FILE: '/nonexistent/ca.pem' }))
      .toThrow("invalid configuration: FETCH_CA_FILE must name a readable file, got '/nonexistent/ca.pem' (ENOENT)");
  });

  test('the enqueuer needs QUEUE_URL', () => {
    expect(() => readEnqueueConfig({})).toThrow('invalid configuration: QUEUE_URL must name the fetch queue');
    expect(readEnqueueConfig({ QUEUE_URL: 'https://sqs/q', MESSAGE_URLS: '250', JOBS_TABLE: 'jobs', RESULTS_BUCKET: 'b' })).toStrictEqual({
      queueUrl: 'https://sqs/q', messageUrls: 250, allowNetworks: [], jobsTable: 'jobs', resultsBucket: 'b', resultsPrefix: 'results/', eventBusName: undefined, jobRetentionDays: 90,
    });
  });
});
