import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { BatchFetcher } from './batch-fetcher.ts';
import type { BatchFetcherProps } from './batch-fetcher-props.ts';

interface BatchFetcherStackProps extends StackProps {
  readonly fetcher?: BatchFetcherProps;
  /** Turns on the example schedule (hourly, inline URLs). @default false */
  readonly enableExampleSchedule?: boolean;
  /** Email address subscribed to an alarm topic. @default no topic */
  readonly alarmEmail?: string;
}

/** The app's default stack: one BatchFetcher with an example schedule (disabled unless asked). */
class BatchFetcherStack extends Stack {
  readonly fetcher: BatchFetcher;

  constructor(scope: Construct, id: string, props: BatchFetcherStackProps = {}) {
    super(scope, id, props);
    const alarmTopic = props.alarmEmail ? new Topic(this, 'AlarmTopic', { enforceSSL: true }) : undefined;
    if (alarmTopic && props.alarmEmail) alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.fetcher = new BatchFetcher(this, 'BatchFetcher', {
      schedules: [{
        name: 'ExampleHourly',
        expression: 'rate(1 hour)',
        input: { urls: ['https://example.com/', 'https://example.org/'] },
        enabled: props.enableExampleSchedule ?? false,
      }],
      ...(alarmTopic ? { alarmTopic } : {}),
      ...props.fetcher,
    });
    new CfnOutput(this, 'FetchQueueUrl', { value: this.fetcher.queue.queueUrl, description: 'Send batchfetch messages here' });
    new CfnOutput(this, 'EnqueueFunctionName', { value: this.fetcher.enqueueFunction.functionName });
    new CfnOutput(this, 'JobsTableName', { value: this.fetcher.jobsTable.tableName, description: 'batchfetch jobs|job ... --jobs-table' });
    if (this.fetcher.resultsBucket) new CfnOutput(this, 'ResultsBucketName', { value: this.fetcher.resultsBucket.bucketName });
    new CfnOutput(this, 'DashboardName', { value: this.fetcher.monitoring.dashboard.dashboardName });

    suppressReviewedFindings(this);
  }
}

/** cdk-nag findings reviewed and accepted, each with its reason. */
function suppressReviewedFindings(stack: Stack): void {
  for (const acknowledgement of [] as Array<{ id: string; reason: string }>) Validations.of(stack).acknowledge(acknowledgement);
}

export { BatchFetcherStack };
export type { BatchFetcherStackProps };
