import { recordBatchMetrics, type BatchReport, type FetchResult } from '../../lib/index.ts';
import { countResult, newBatchReport } from '../../lib/handler/batch-report.ts';

/** Records what would go to Powertools Metrics. */
function recorder() {
  const metrics: Array<[string, string, number]> = [];
  const singles: Array<{ dimension: [string, string]; metric: [string, string, number] }> = [];
  return {
    metrics,
    singles,
    addMetric: (name: string, unit: string, value: number) => { metrics.push([name, unit, value]); },
    singleMetric() {
      let dimension: [string, string] = ['', ''];
      return {
        addDimension: (name: string, value: string) => { dimension = [name, value]; },
        addMetric: (name: string, unit: string, value: number) => { singles.push({ dimension, metric: [name, unit, value] }); },
      };
    },
  };
}

const result = (fields: Partial<FetchResult>): FetchResult => ({
  url: 'https://e.example/', ok: false, status: null, attempts: 1, redirects: 0, latencyMs: 10, bytes: 0, error: null, ...fields,
});

/** The report a batch that wrote `results` hands to metrics (the handler counts each as it is written). */
function reportOf(results: FetchResult[]): Pick<BatchReport, 'results' | 'latenciesMs'> {
  const report = newBatchReport();
  for (const each of results) countResult(report, each);
  return { results: report.results, latenciesMs: report.latenciesMs };
}

describe('recordBatchMetrics', () => {
  test('publishes counts, retries (attempts beyond the first), failures by code and one latency per URL fetched here', () => {
    const metrics = recorder();

    recordBatchMetrics(metrics, {
      ...reportOf([
        result({ ok: true, status: 200, attempts: 1, redirects: 2, bytes: 100, latencyMs: 12 }),
        result({ ok: true, status: 200, attempts: 3, redirects: 0, bytes: 50, latencyMs: 30 }),
        result({ status: 503, attempts: 2, error: { code: 'HTTP_STATUS', message: 'HTTP status 503' }, latencyMs: 20 }),
        result({ attempts: 1, error: { code: 'BLOCKED_DESTINATION', message: 'blocked' }, latencyMs: 1 }),
        result({ attempts: 3, latencyMs: 0, error: { code: 'ATTEMPTS_EXHAUSTED', message: 'no attempts left' } }),
      ]),
      continuedUrls: 4,
      redeliveredUrls: 2,
      failedRecords: 1,
      failedByReason: new Map([['RESULTS_NOT_STORED', 1]]),
      jobsFinished: [],
      hostWaits: 7,
      hostPushbacks: 2,
      connectionsOpened: 3,
      connectionsReused: 9,
    });

    expect(metrics.metrics.filter(([name]) => name !== 'FetchLatency')).toStrictEqual([
      ['UrlsFetched', 'Count', 5],
      ['UrlsSucceeded', 'Count', 2],
      ['UrlsFailed', 'Count', 3],
      ['Retries', 'Count', 0 + 2 + 1 + 0 + 0],
      ['BytesFetched', 'Bytes', 150],
      ['ContinuedUrls', 'Count', 4],
      ['RedeliveredUrls', 'Count', 2],
      ['BlockedDestinations', 'Count', 1],
      ['FailedRecords', 'Count', 1],
      ['HostWaits', 'Count', 7],
      ['HostPushbacks', 'Count', 2],
      ['ConnectionsOpened', 'Count', 3],
      ['ConnectionsReused', 'Count', 9],
    ]);
    expect(metrics.metrics.filter(([name]) => name === 'FetchLatency').map(([, , value]) => value)).toStrictEqual([12, 30, 20, 1]);
    expect(metrics.singles.map((s) => [...s.dimension, s.metric[0], s.metric[2]]).sort()).toStrictEqual([
      ['ErrorCode', 'ATTEMPTS_EXHAUSTED', 'UrlsFailedByCode', 1], ['ErrorCode', 'BLOCKED_DESTINATION', 'UrlsFailedByCode', 1],
      ['ErrorCode', 'HTTP_STATUS', 'UrlsFailedByCode', 1], ['Reason', 'RESULTS_NOT_STORED', 'FailedRecordsByReason', 1],
    ]);
  });

  test('jobs finished in the invocation are counted by final status', () => {
    const metrics = recorder();
    const job = (status: 'completed' | 'failed') => ({ jobId: 'j', status, total: 1, done: 1, counts: { ok: 1, failed: 0, byCode: {} }, bytes: 0, latencyMs: null, invalid: 0, messages: 1, createdAt: '', urlsPerSecond: 0 });

    recordBatchMetrics(metrics, { ...reportOf([]), continuedUrls: 0, redeliveredUrls: 0, failedRecords: 0, failedByReason: new Map(), jobsFinished: [job('completed'), job('failed'), job('completed')], hostWaits: 0, hostPushbacks: 0, connectionsOpened: 0, connectionsReused: 0 });

    expect(metrics.metrics.filter(([name]) => name.startsWith('Jobs'))).toStrictEqual([['JobsCompleted', 'Count', 2], ['JobsFailed', 'Count', 1]]);
  });

  test('a batch that compares publishes its changed, broken and recovered URLs', () => {
    const metrics = recorder();

    recordBatchMetrics(metrics, {
      ...reportOf([
        result({ ok: true, status: 200, change: 'changed' }), result({ ok: true, status: 304, change: 'unchanged' }),
        result({ status: 500, change: 'broke', error: { code: 'HTTP_STATUS', message: 'HTTP status 500' } }),
        result({ ok: true, status: 200, change: 'recovered' }), result({ ok: true, status: 200, change: 'changed' }),
      ]),
      continuedUrls: 0, redeliveredUrls: 0, failedRecords: 0, failedByReason: new Map(), jobsFinished: [], hostWaits: 0, hostPushbacks: 0, connectionsOpened: 0, connectionsReused: 0,
    });

    expect(metrics.metrics.filter(([name]) => /^Urls(Changed|Broke|Recovered)$/.test(name))).toStrictEqual([
      ['UrlsChanged', 'Count', 2], ['UrlsBroke', 'Count', 1], ['UrlsRecovered', 'Count', 1],
    ]);
  });

  test('records with TLS facts publish the fewest days any certificate has left; without them, nothing', () => {
    const withTls = recorder();
    const without = recorder();
    const tls = (daysLeft: number) => ({ protocol: 'TLSv1.3', validTo: '2027-01-01T00:00:00.000Z', daysLeft, issuer: 'CA', subject: 's', resumed: false });
    const rest = { continuedUrls: 0, redeliveredUrls: 0, failedRecords: 0, failedByReason: new Map(), jobsFinished: [], hostWaits: 0, hostPushbacks: 0, connectionsOpened: 0, connectionsReused: 0 };

    recordBatchMetrics(withTls, { ...reportOf([result({ ok: true, status: 200, tls: tls(40) }), result({ ok: true, status: 200, tls: tls(9) }), result({})]), ...rest });
    recordBatchMetrics(without, { ...reportOf([result({ ok: true, status: 200 })]), ...rest });

    expect(withTls.metrics.filter(([name]) => name === 'CertificateDaysLeft')).toStrictEqual([['CertificateDaysLeft', 'Count', 9]]);
    expect(without.metrics.some(([name]) => name === 'CertificateDaysLeft')).toBe(false);
  });
});
