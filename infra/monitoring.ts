import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

interface FetchMonitoringProps {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly scheduleDeadLetterQueue: Queue;
  /** Where the enqueue function's failed asynchronous invocations (schedules) end up. */
  readonly enqueueFailureQueue: Queue;
  readonly fetchFunction: LambdaFunction;
  readonly enqueueFunction: LambdaFunction;
  readonly jobsTable: ITableV2;
  readonly namespace: string;
  /** The `service` dimension the fetch function's metrics carry (its POWERTOOLS_SERVICE_NAME). */
  readonly service: string;
  readonly maxMessageAge: Duration;
  readonly errorRatioThreshold: number;
  /** The error-ratio alarm only counts 15 minutes in which at least this many URLs were fetched. */
  readonly errorRatioMinimumUrls: number;
  /** Alarm when more URLs than this broke within an hour (jobs that compare). */
  readonly brokenUrlsThreshold?: number;
  /** Alarm when a fetched URL's certificate has fewer days left than this. */
  readonly certificateExpiryDays?: number;
  readonly alarmTopic?: ITopic;
}

/** Alarms on what loses or delays work, and a dashboard of throughput, latency and outcomes. */
class FetchMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: FetchMonitoringProps) {
    super(scope, id);
    const emf = (metricName: string, statistic = 'Sum', period = Duration.minutes(1)) =>
      new Metric({ namespace: props.namespace, metricName, dimensionsMap: { service: props.service }, statistic, period });
    const alarm = (name: string, description: string, metric: IMetric, threshold: number, evaluationPeriods = 1,
      comparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD) => {
      const created = new Alarm(this, name, {
        metric,
        alarmDescription: description,
        threshold,
        evaluationPeriods,
        comparisonOperator,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmTopic) created.addAlarmAction(new SnsAction(props.alarmTopic));
      this.alarms.push(created);
      return created;
    };

    alarm('DeadLetterQueueNotEmpty', 'Messages failed maxReceiveCount times and sit in the DLQ',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), 0);
    alarm('ScheduleDeadLetterQueueNotEmpty', 'A scheduled enqueue failed after its retries',
      props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 0);
    alarm('EnqueueFailuresNotEmpty', 'An asynchronous enqueue invocation (a schedule firing) failed after Lambda\'s retries',
      props.enqueueFailureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 0);
    alarm('OldestMessageAge', `The oldest fetch message waits longer than ${props.maxMessageAge.toHumanString()}`,
      props.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }), props.maxMessageAge.toSeconds(), 2);
    const errorRatio = new MathExpression({
      // IF in metric math (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
      // a ratio of a few URLs (2 failed of 2) is no failure rate, so quieter periods count as 0.
      expression: `IF(fetched >= ${props.errorRatioMinimumUrls}, failed / fetched, 0)`,
      usingMetrics: { failed: emf('UrlsFailed', 'Sum', Duration.minutes(15)), fetched: emf('UrlsFetched', 'Sum', Duration.minutes(15)) },
      period: Duration.minutes(15),
      label: 'failed / fetched URLs',
    });
    alarm('ErrorRatio', `More than ${props.errorRatioThreshold * 100}% of fetched URLs failed over 15 minutes (with at least ${props.errorRatioMinimumUrls} fetched)`,
      errorRatio, props.errorRatioThreshold);
    if (props.brokenUrlsThreshold !== undefined) {
      alarm('BrokenUrls', `More than ${props.brokenUrlsThreshold} URLs that were OK in the earlier job failed within an hour`,
        emf('UrlsBroke', 'Sum', Duration.hours(1)), props.brokenUrlsThreshold);
    }
    if (props.certificateExpiryDays !== undefined) {
      // Minimum over a day: a certificate is fetched once per schedule run, not every minute.
      alarm('CertificateExpiring', `A fetched HTTPS URL's certificate expires within ${props.certificateExpiryDays} days (records: tls.daysLeft)`,
        emf('CertificateDaysLeft', 'Minimum', Duration.days(1)), props.certificateExpiryDays, 1, ComparisonOperator.LESS_THAN_THRESHOLD);
    }
    alarm('JobsFailed', 'A job ended failed: more of its URLs failed than it tolerates', emf('JobsFailed', 'Sum', Duration.minutes(5)), 0);
    for (const [name, fn] of [['FetchBatch', props.fetchFunction], ['Enqueue', props.enqueueFunction]] as const) {
      alarm(`${name}Errors`, `The ${name} function failed (an invocation error, not a failed URL)`, fn.metricErrors({ period: Duration.minutes(5) }), 0);
      alarm(`${name}Throttles`, `The ${name} function was throttled`, fn.metricThrottles({ period: Duration.minutes(5) }), 0);
    }

    const urlsPerSecond = new MathExpression({ expression: 'fetched / PERIOD(fetched)', usingMetrics: { fetched: emf('UrlsFetched') }, label: 'URLs/s', period: Duration.minutes(1) });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [[
        new GraphWidget({ title: 'Throughput (URLs/s)', left: [urlsPerSecond], width: 8 }),
        new GraphWidget({ title: 'Fetch latency (ms)', left: [emf('FetchLatency', 'p50'), emf('FetchLatency', 'p99')], width: 8 }),
        new GraphWidget({
          title: 'Failed URLs by error code',
          left: [new MathExpression({
            expression: `SEARCH('{${props.namespace},ErrorCode,service} MetricName="UrlsFailedByCode"', 'Sum', 60)`,
            label: '',
            period: Duration.minutes(1),
          })],
          width: 8,
        }),
      ], [
        new GraphWidget({
          title: 'Queue depth',
          left: [props.queue.metricApproximateNumberOfMessagesVisible(), props.queue.metricApproximateNumberOfMessagesNotVisible()],
          right: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'DLQ' })],
          width: 8,
        }),
        new GraphWidget({ title: 'Oldest message age (s)', left: [props.queue.metricApproximateAgeOfOldestMessage()], width: 8 }),
        new GraphWidget({
          title: 'Concurrency and outcomes',
          left: [props.fetchFunction.metric('ConcurrentExecutions', { statistic: 'Maximum' })],
          right: [emf('ContinuedUrls'), emf('RedeliveredUrls'), emf('BlockedDestinations')],
          width: 8,
        }),
      ], [
        new GraphWidget({ title: 'Jobs finished', left: [emf('JobsCompleted', 'Sum', Duration.minutes(5)), emf('JobsFailed', 'Sum', Duration.minutes(5))], width: 8 }),
        // Jobs started (enqueue's log) and not yet finished (fetch-batch's log) in the dashboard's range.
        new LogQueryWidget({
          title: 'Running jobs',
          logGroupNames: [props.enqueueFunction.logGroup.logGroupName, props.fetchFunction.logGroup.logGroupName],
          queryLines: [
            "filter message in ['enqueued', 'job finished']",
            'fields coalesce(jobId, job.jobId) as job',
            'stats latest(message) as last, earliest(@timestamp) as started by job',
            "filter last = 'enqueued'",
            'sort started desc',
          ],
          width: 16,
        }),
      ]],
    });
  }
}

export { FetchMonitoring };
