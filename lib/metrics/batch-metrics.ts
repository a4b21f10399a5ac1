import type { BatchReport } from '../handler/batch-report.ts';
import { ErrorCode } from '../core/errors.ts';
import { ChangeClass } from '../engine/change.ts';

type MetricUnit = 'Count' | 'Bytes' | 'Milliseconds';

/** The part of Powertools' `Metrics` this module uses (kept narrow so lib/ stays Lambda-agnostic). */
interface MetricsLike {
  addMetric(name: string, unit: MetricUnit, value: number): unknown;
  singleMetric(): { addDimension(name: string, value: string): unknown; addMetric(name: string, unit: MetricUnit, value: number): unknown };
}

/** Metric names, as they appear in CloudWatch (namespace from POWERTOOLS_METRICS_NAMESPACE). */
const MetricName = {
  URLS_FETCHED: 'UrlsFetched',
  URLS_SUCCEEDED: 'UrlsSucceeded',
  URLS_FAILED: 'UrlsFailed',
  /** With dimension `ErrorCode` (a fixed, small set: never URLs or hosts). */
  URLS_FAILED_BY_CODE: 'UrlsFailedByCode',
  RETRIES: 'Retries',
  BYTES_FETCHED: 'BytesFetched',
  CONTINUED_URLS: 'ContinuedUrls',
  REDELIVERED_URLS: 'RedeliveredUrls',
  BLOCKED_DESTINATIONS: 'BlockedDestinations',
  FAILED_RECORDS: 'FailedRecords',
  /** With dimension `Reason` (handler/failure-reason.ts: a fixed, small set). */
  FAILED_RECORDS_BY_REASON: 'FailedRecordsByReason',
  /** One raw value per URL fetched, so CloudWatch computes p50/p99 (Powertools flushes every 100 values). */
  FETCH_LATENCY: 'FetchLatency',
  /** Jobs this invocation completed, by final status (completion is detected once per job). */
  JOBS_COMPLETED: 'JobsCompleted',
  JOBS_FAILED: 'JobsFailed',
  /** Requests that waited for their host (a per-host limit, a pushback pause, no fleet token). */
  HOST_WAITS: 'HostWaits',
  /** 429/503/Retry-After answers that slowed a host down (never a host dimension). */
  HOST_PUSHBACKS: 'HostPushbacks',
  /** In a run that compares with an earlier one: URLs whose content changed, that broke, that recovered. */
  URLS_CHANGED: 'UrlsChanged',
  URLS_BROKE: 'UrlsBroke',
  URLS_RECOVERED: 'UrlsRecovered',
  /** Connections opened (TCP and, for HTTPS, TLS handshakes), and requests sent on kept-alive ones. */
  CONNECTIONS_OPENED: 'ConnectionsOpened',
  CONNECTIONS_REUSED: 'ConnectionsReused',
  /**
   * The fewest days left on any fetched URL's certificate in the batch (with FETCH_TLS_INFO):
   * alarm on its Minimum. No host dimension: which host it was is in the records (`tls.daysLeft`).
   */
  CERTIFICATE_DAYS_LEFT: 'CertificateDaysLeft',
} as const;

/** Publishes one invocation's figures as EMF metrics. */
function recordBatchMetrics(metrics: MetricsLike, report: BatchReport): void {
  const stats = report.results;
  const failedByCode = new Map([...stats.outcomes].filter(([code]) => code !== 'OK'));
  metrics.addMetric(MetricName.URLS_FETCHED, 'Count', stats.urls);
  metrics.addMetric(MetricName.URLS_SUCCEEDED, 'Count', stats.ok);
  metrics.addMetric(MetricName.URLS_FAILED, 'Count', stats.urls - stats.ok);
  metrics.addMetric(MetricName.RETRIES, 'Count', stats.retries);
  metrics.addMetric(MetricName.BYTES_FETCHED, 'Bytes', stats.bytes);
  metrics.addMetric(MetricName.CONTINUED_URLS, 'Count', report.continuedUrls);
  metrics.addMetric(MetricName.REDELIVERED_URLS, 'Count', report.redeliveredUrls);
  metrics.addMetric(MetricName.BLOCKED_DESTINATIONS, 'Count', failedByCode.get(ErrorCode.BLOCKED_DESTINATION) ?? 0);
  metrics.addMetric(MetricName.FAILED_RECORDS, 'Count', report.failedRecords);
  metrics.addMetric(MetricName.HOST_WAITS, 'Count', report.hostWaits);
  metrics.addMetric(MetricName.HOST_PUSHBACKS, 'Count', report.hostPushbacks);
  metrics.addMetric(MetricName.CONNECTIONS_OPENED, 'Count', report.connectionsOpened);
  metrics.addMetric(MetricName.CONNECTIONS_REUSED, 'Count', report.connectionsReused);
  if (stats.changes.size > 0) {
    metrics.addMetric(MetricName.URLS_CHANGED, 'Count', stats.changes.get(ChangeClass.CHANGED) ?? 0);
    metrics.addMetric(MetricName.URLS_BROKE, 'Count', stats.changes.get(ChangeClass.BROKE) ?? 0);
    metrics.addMetric(MetricName.URLS_RECOVERED, 'Count', stats.changes.get(ChangeClass.RECOVERED) ?? 0);
  }
  if (stats.certificateDaysLeftMin !== undefined) {
    metrics.addMetric(MetricName.CERTIFICATE_DAYS_LEFT, 'Count', stats.certificateDaysLeftMin);
  }
  if (report.jobsFinished.length > 0) {
    const failedJobs = report.jobsFinished.filter((job) => job.status === 'failed').length;
    metrics.addMetric(MetricName.JOBS_COMPLETED, 'Count', report.jobsFinished.length - failedJobs);
    metrics.addMetric(MetricName.JOBS_FAILED, 'Count', failedJobs);
  }
  for (const [code, count] of failedByCode) {
    const single = metrics.singleMetric();
    single.addDimension('ErrorCode', code);
    single.addMetric(MetricName.URLS_FAILED_BY_CODE, 'Count', count);
  }
  for (const [reason, count] of report.failedByReason) {
    const single = metrics.singleMetric();
    single.addDimension('Reason', reason);
    single.addMetric(MetricName.FAILED_RECORDS_BY_REASON, 'Count', count);
  }
  for (const latencyMs of report.latenciesMs) metrics.addMetric(MetricName.FETCH_LATENCY, 'Milliseconds', latencyMs);
}

export { MetricName, recordBatchMetrics };
export type { MetricsLike };
