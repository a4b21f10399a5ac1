import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { logicalIdOf } from './logical-id.ts';
import { Architecture, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_RETENTION, politenessEnvironment, validateProps, type BatchFetcherProps } from './batch-fetcher-props.ts';
import { functionCode } from './function-code.ts';
import { FetchMonitoring } from './monitoring.ts';
import { FetchSchedules } from './schedules.ts';
import { JOB_LISTING_INDEX, JOB_LISTING_KEY } from '../lib/core/state-table.ts';
import { SQS_MAX_MESSAGE_BYTES } from '../lib/queue/split-into-messages.ts';

/** Variables of `fetchEnvironment` the enqueue function reads too (docs/aws.md, "both"). */
const SHARED_VARIABLES = ['RESULTS_PREFIX', 'JOB_EVENT_BUS', 'FETCH_ALLOW_NETWORKS'] as const;

/**
 * The bus job completion events go to: `jobEventBus`, the bus `JOB_EVENT_BUS` names (a name or an
 * ARN, as PutEvents' EventBusName takes either:
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html), or
 * the account's default bus.
 */
function eventBusArn(scope: Construct, props: BatchFetcherProps): string {
  if (props.jobEventBus) return props.jobEventBus.eventBusArn;
  const named = props.fetchEnvironment?.JOB_EVENT_BUS;
  if (named?.startsWith('arn:')) return named;
  return Stack.of(scope).formatArn({ service: 'events', resource: 'event-bus', resourceName: named ?? 'default' });
}

/** SQS keeps messages at most 14 days; the DLQ keeps them longest so nothing expires first there. */
const DLQ_RETENTION = Duration.days(14);

/**
 * Everything batchfetch needs on AWS: the fetch queue and its DLQ, the Graviton fetch-batch
 * consumer (partial batch responses, bounded concurrency, continuations to its own queue), the
 * enqueue function with its schedules, an optional results bucket, alarms and a dashboard.
 *
 * @example
 * new BatchFetcher(this, 'Fetcher', {
 *   schedules: [{ name: 'hourly', expression: 'rate(1 hour)', input: { sitemap: 'https://example.com/sitemap.xml' } }],
 *   resultsBucket: true,
 * });
 */
class BatchFetcher extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  /** Failed asynchronous invocations of the enqueue function (schedule firings), with their event. */
  readonly enqueueFailureQueue: Queue;
  readonly fetchFunction: LambdaFunction;
  readonly enqueueFunction: LambdaFunction;
  readonly resultsBucket: Bucket | undefined;
  /** Job state (see lib/jobs/job-store.ts): one item per job and one per 100 of its messages. */
  readonly jobsTable: TableV2;
  readonly monitoring: FetchMonitoring;
  readonly schedules: FetchSchedules;

  constructor(scope: Construct, id: string, props: BatchFetcherProps = {}) {
    super(scope, id);
    validateProps(props);
    const fetchTimeout = props.fetchTimeout ?? Duration.minutes(5);
    // The values the fetch function gets (fetchEnvironment wins, as it is spread last), so the
    // alarms and the dashboard read the metrics it actually publishes.
    const namespace = props.fetchEnvironment?.POWERTOOLS_METRICS_NAMESPACE ?? props.metricsNamespace ?? 'Batchfetch';
    const service = props.fetchEnvironment?.POWERTOOLS_SERVICE_NAME ?? 'batchfetch';
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    // One retention for results and jobs (docs/aws.md, "Retention"): the bucket's lifecycle and,
    // through JOB_RETENTION_DAYS, the TTL the job store gives a job's items.
    const retentionDays = (props.resultsExpiration ?? DEFAULT_RETENTION).toDays();

    // Messages as large as the enqueuer and continuations make them (the one limit,
    // SQS_MAX_MESSAGE_BYTES), set rather than left to the default; the DLQ holds what the queue does
    // (MaximumMessageSize: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
      maxMessageSizeBytes: SQS_MAX_MESSAGE_BYTES,
    });
    this.queue = new Queue(this, 'FetchQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: SQS_MAX_MESSAGE_BYTES,
      // AWS guidance: at least 6 × the consumer's timeout, so a batch being retried is not redelivered.
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(fetchTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.resultsBucket = props.resultsBucket ? new Bucket(this, 'ResultsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // ACLs off: the bucket owns every object (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [
        { expiration: Duration.days(retentionDays) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    }) : undefined;

    this.jobsTable = new TableV2(this, 'JobsTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      // The AWS owned key: no KMS requests billed, unlike the AWS managed key aws/dynamodb
      // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html).
      encryption: TableEncryptionV2.dynamoOwnedKey(),
      // Items expire at their `ttl` (epoch seconds), which the job store sets from
      // JOB_RETENTION_DAYS; items without one are kept
      // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html).
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Job state is bookkeeping about results kept elsewhere; `cdk destroy` removes it.
      removalPolicy: RemovalPolicy.DESTROY,
      // Lists job headers only (`batchfetch jobs`): shards, rate windows and robots.txt items
      // never carry the index's key (lib/core/state-table.ts).
      globalSecondaryIndexes: [{
        indexName: JOB_LISTING_INDEX,
        partitionKey: { name: JOB_LISTING_KEY.partition, type: AttributeType.STRING },
        sortKey: { name: JOB_LISTING_KEY.sort, type: AttributeType.STRING },
      }],
    });
    const resultsEnvironment: Record<string, string> = this.resultsBucket ? { RESULTS_BUCKET: this.resultsBucket.bucketName } : {};
    // The variables both functions read (docs/aws.md): the enqueuer records and compares results
    // under the consumer's prefix, and announces the jobs it ends on the consumer's bus.
    const sharedEnvironment: Record<string, string> = {
      JOB_RETENTION_DAYS: String(retentionDays),
      ...(props.jobEventBus ? { JOB_EVENT_BUS: props.jobEventBus.eventBusArn } : {}),
      ...Object.fromEntries(SHARED_VARIABLES.flatMap((name) => {
        const value = props.fetchEnvironment?.[name];
        return value === undefined ? [] : [[name, value]];
      })),
    };

    this.fetchFunction = new LambdaFunction(this, 'FetchBatchFunction', {
      description: 'batchfetch: fetches the URLs of SQS messages',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: functionCode('fetch-batch'),
      memorySize: props.fetchMemorySize ?? 1769,
      timeout: fetchTimeout,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      logGroup: new LogGroup(this, 'FetchBatchLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
      // No NODE_OPTIONS=--enable-source-maps: it costs every cold start (README, Benchmark); set
      // it in fetchEnvironment to read stack traces in the sources while debugging.
      environment: {
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: namespace,
        CONTINUATION_QUEUE_URL: this.queue.queueUrl,
        JOBS_TABLE: this.jobsTable.tableName,
        ...resultsEnvironment,
        ...sharedEnvironment,
        ...politenessEnvironment(props),
        // The certificate alarm reads the metric records with `tls` produce.
        ...(props.certificateExpiryDays === undefined ? {} : { FETCH_TLS_INFO: 'true' }),
        ...props.fetchEnvironment,
      },
    });
    this.fetchFunction.addEventSource(new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? 10,
      ...(props.maxBatchingWindow ? { maxBatchingWindow: props.maxBatchingWindow } : {}),
      // CDK's default is off: without it one failed record would return the whole batch.
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency ?? 10,
    }));
    // Continuations re-enqueue unfinished URLs on the same queue (hops capped far below 16).
    this.queue.grantSendMessages(this.fetchFunction);
    // PutObject for results (conditional writes need no other permission:
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html); GetObject
    // for a message another delivery stored and for a finished job's `_changes.jsonl` (its records
    // read, written as a multipart upload, AbortMultipartUpload when that fails); ListBucket for a
    // finished job's manifest, and so a GET of a message not stored yet answers 404, not 403
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
    if (this.resultsBucket) {
      this.fetchFunction.addToRolePolicy(new PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], resources: [this.resultsBucket.arnForObjects('*')],
      }));
      this.fetchFunction.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.resultsBucket.bucketArn] }));
    }
    // Counting a message (read its shard, update it, read the job to detect completion), leasing
    // hosts' rate tokens (UpdateItem) and sharing robots.txt (GetItem, PutItem).
    // The table itself, not its index (`grant` would add `index/*`): the functions never list jobs.
    const stateItems = new PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], resources: [this.jobsTable.tableArn],
    });
    this.fetchFunction.addToRolePolicy(stateItems);
    // Job completion events: both functions end jobs (the enqueuer an empty one) and announce them
    // on the same bus, the one they are given or the default; PutEvents is authorised on the bus
    // the event is put on (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html).
    const putEvents = new PolicyStatement({ actions: ['events:PutEvents'], resources: [eventBusArn(this, props)] });
    this.fetchFunction.addToRolePolicy(putEvents);

    this.enqueueFunction = new LambdaFunction(this, 'EnqueueFunction', {
      description: 'batchfetch: splits URL lists into SQS messages',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: functionCode('enqueue'),
      memorySize: 1024,
      timeout: Duration.minutes(15),
      // A compared job's list and its earlier job's records are partitioned in /tmp (about
      // 250 bytes a URL: 2.5 GB at 10 million URLs); without a results bucket nothing compares.
      ...(this.resultsBucket ? { ephemeralStorageSize: Size.gibibytes(4) } : {}),
      logGroup: new LogGroup(this, 'EnqueueLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'batchfetch-enqueue',
        QUEUE_URL: this.queue.queueUrl,
        JOBS_TABLE: this.jobsTable.tableName,
        ...resultsEnvironment,
        ...sharedEnvironment,
      },
    });
    this.queue.grantSendMessages(this.enqueueFunction);
    // Starting a job (PutItem), recording its shards and completing an empty one (UpdateItem),
    // reading a job (Query): the enqueuer never reads single items (no GetItem).
    this.enqueueFunction.addToRolePolicy(new PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], resources: [this.jobsTable.tableArn],
    }));
    this.enqueueFunction.addToRolePolicy(putEvents);
    // EventBridge Scheduler invokes the function asynchronously: its retry policy and DLQ only
    // cover delivering the event. An error the function throws is retried by Lambda (twice) and
    // then dropped, unless an on-failure destination keeps it
    // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
    this.enqueueFailureQueue = new Queue(this, 'EnqueueFailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
    });
    this.enqueueFunction.configureAsyncInvoke({ onFailure: new SqsDestination(this.enqueueFailureQueue), retryAttempts: 2 });
    // `s3://` lists: one GetObject each (no List: a missing object answers 403, not 404), and for
    // SSE-KMS objects kms:Decrypt on their key
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
    for (const bucket of props.sourceBuckets ?? []) {
      this.enqueueFunction.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }));
      bucket.encryptionKey?.grantDecrypt(this.enqueueFunction);
    }
    for (const key of props.sourceBucketKeys ?? []) key.grantDecrypt(this.enqueueFunction);
    if (this.resultsBucket) {
      // Comparing: the earlier job's records are read (List, Get), missing URLs written (Put).
      this.enqueueFunction.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [this.resultsBucket.arnForObjects('*')] }));
      this.enqueueFunction.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.resultsBucket.bucketArn] }));
    }
    // A schedule's job finds the schedule's previous job in the job-listing index.
    this.enqueueFunction.addToRolePolicy(new PolicyStatement({
      actions: ['dynamodb:Query'], resources: [`${this.jobsTable.tableArn}/index/${JOB_LISTING_INDEX}`],
    }));

    acknowledgeReviewedFindings(this);
    this.schedules = new FetchSchedules(this, 'Schedules', {
      target: this.enqueueFunction, schedules: props.schedules ?? [], canCompare: this.resultsBucket !== undefined,
    });
    this.monitoring = new FetchMonitoring(this, 'Monitoring', {
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      scheduleDeadLetterQueue: this.schedules.deadLetterQueue,
      enqueueFailureQueue: this.enqueueFailureQueue,
      fetchFunction: this.fetchFunction,
      enqueueFunction: this.enqueueFunction,
      jobsTable: this.jobsTable,
      namespace,
      service,
      maxMessageAge: props.maxMessageAge ?? Duration.minutes(30),
      errorRatioThreshold: props.errorRatioThreshold ?? 0.5,
      errorRatioMinimumUrls: props.errorRatioMinimumUrls ?? 20,
      ...(props.brokenUrlsThreshold === undefined ? {} : { brokenUrlsThreshold: props.brokenUrlsThreshold }),
      ...(props.certificateExpiryDays === undefined ? {} : { certificateExpiryDays: props.certificateExpiryDays }),
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    });
  }
}

/** cdk-nag (AwsSolutions) findings on this construct's resources, reviewed, each with its reason. */
function acknowledgeReviewedFindings(fetcher: BatchFetcher): void {
  for (const fn of [fetcher.fetchFunction, fetcher.enqueueFunction]) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The basic execution role only lets the function write its own CloudWatch Logs; every other grant is scoped to this construct\'s queue and bucket.',
    });
  }
  Validations.of(fetcher.enqueueFailureQueue).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason: 'This queue is itself the dead-letter destination of the enqueue function\'s failed asynchronous invocations.',
  });
  if (fetcher.resultsBucket) {
    Validations.of(fetcher.resultsBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'The bucket only receives results written by the fetch function; access logs would need a second bucket per deployment. Enable CloudTrail S3 data events for object-level audit.',
    });
    Validations.of(fetcher.fetchFunction).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalIdOf(fetcher.resultsBucket)}.Arn>/*]`,
      reason: 'Objects of the results bucket only: results and change-report parts per message, a finished job\'s summary and change report.',
    });
    Validations.of(fetcher.enqueueFunction).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalIdOf(fetcher.resultsBucket)}.Arn>/*]`,
      reason: 'Objects of the results bucket only: an earlier job\'s records read to compare with, a compared job\'s missing URLs written.',
    });
  }
}

export { BatchFetcher };
export type { BatchFetcherProps };
