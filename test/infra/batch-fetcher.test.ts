import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import nag from 'cdk-nag';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { SQS_MAX_MESSAGE_BYTES } from '../../lib/queue/split-into-messages.ts';
import { BatchFetcher, BatchFetcherStack, type BatchFetcherProps } from '../../infra/index.ts';

function stackWith(props: BatchFetcherProps = {}): Template {
  const stack = new Stack(new App(), 'Test');
  new BatchFetcher(stack, 'Fetcher', props);
  return Template.fromStack(stack);
}

describe('BatchFetcher construct', () => {
  let template: Template;

  beforeAll(() => {
    template = stackWith({ schedules: [{ name: 'Hourly', expression: 'rate(1 hour)', input: { sitemap: 'https://example.com/sitemap.xml' } }] });
  });

  test('both functions run on Graviton (arm64) with Node.js 24', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Architectures: ['arm64'], Runtime: 'nodejs24.x', Handler: 'index.handler' }, 2);
  });

  test('the event source reports batch item failures, with batch size and bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  test('the queue: visibility 6 × the consumer timeout, SSE, redrive to a longer-lived DLQ after 5 receives', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 300, MemorySize: 1769 });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 1800,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 345_600,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
  });

  test('every queue refuses requests without TLS', () => {
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    expect(Object.keys(policies).length).toBe(4);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });

  test('the consumer continues work on its own queue and has no S3 access without a results bucket', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONTINUATION_QUEUE_URL: Match.anyValue(), POWERTOOLS_METRICS_NAMESPACE: 'Batchfetch' }) },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('s3:');
  });

  test('a schedule invokes the enqueue function through EventBridge Scheduler with retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: Match.objectLike({
        // One job per firing: its id carries the schedule's name and the firing's scheduled time.
        // Without a results bucket there is nothing to compare with: the job does not compare.
        Input: JSON.stringify({ jobId: 'Hourly-<aws.scheduler.scheduled-time>', schedule: 'Hourly', compare: false, sitemap: 'https://example.com/sitemap.xml' }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
  });

  test('with a results bucket, a schedule\'s jobs compare with its previous job; a broken-URLs alarm is there when asked', () => {
    const comparing = stackWith({
      resultsBucket: true, brokenUrlsThreshold: 5,
      schedules: [
        { name: 'Nightly', expression: 'cron(0 4 * * ? *)', input: { source: 's3://lists/catalogue.txt' } },
        { name: 'Fresh', expression: 'rate(1 day)', input: { urls: ['https://example.com/'] }, compare: false },
      ],
    });
    comparing.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({
      Input: JSON.stringify({ jobId: 'Nightly-<aws.scheduler.scheduled-time>', schedule: 'Nightly', compare: true, source: 's3://lists/catalogue.txt' }),
    }) });
    comparing.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({
      Input: JSON.stringify({ jobId: 'Fresh-<aws.scheduler.scheduled-time>', schedule: 'Fresh', compare: false, urls: ['https://example.com/'] }),
    }) });
    comparing.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UrlsBroke', Namespace: 'Batchfetch', Threshold: 5, Period: 3600 });
    comparing.hasResourceProperties('AWS::Lambda::Function', { EphemeralStorage: { Size: 4096 } });
    expect(() => stackWith({ schedules: [{ name: 'N', expression: 'rate(1 day)', input: { urls: ['https://example.com/'] }, compare: true }] }))
      .toThrow("schedule 'N' compares with its previous job, which needs resultsBucket: true");
  });

  test('alarms cover the DLQs, message age, the error ratio, failed jobs, function errors and throttles; a dashboard exists', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'JobsFailed', Namespace: 'Batchfetch', Threshold: 0 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(fetched >= 20, failed / fetched, 0)' })]),
      Threshold: 0.5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 1800 });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('a certificate-expiry alarm, when asked, alarms on the fewest days left and turns TLS facts on in the fetch function', () => {
    const watching = stackWith({ certificateExpiryDays: 14 });

    watching.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CertificateDaysLeft', Namespace: 'Batchfetch', Statistic: 'Minimum', Threshold: 14, Period: 86_400, ComparisonOperator: 'LessThanThreshold',
    });
    watching.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FETCH_TLS_INFO: 'true' }) } });
    expect(() => stackWith({ certificateExpiryDays: 0 })).toThrow('certificateExpiryDays must be an integer from 1 to 825');
  });

  test('a results bucket is encrypted, private, TLS-only, expiring; the functions get only the S3 calls they make on it', () => {
    const withBucket = stackWith({ resultsBucket: true, resultsExpiration: Duration.days(30) });

    withBucket.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]) },
    });
    expect(JSON.stringify(withBucket.findResources('AWS::S3::BucketPolicy'))).toContain('"aws:SecureTransport":"false"');
    const s3Statements = Object.values(withBucket.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement)
      .filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
    // The consumer: results and report parts (Put), `_changes.jsonl` from its parts (Get, multipart
    // Abort), a redelivery's stale part (Delete), a manifest (List). The enqueuer: the earlier
    // job's records (Get, List) and the missing URLs (Put).
    expect(s3Statements.map((statement) => statement.Action)).toStrictEqual([
      ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], 's3:ListBucket',
      ['s3:GetObject', 's3:PutObject'], 's3:ListBucket',
    ]);
    withBucket.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RESULTS_BUCKET: Match.anyValue() }) } });
  });

  test('props flow into the event source and the queue', () => {
    const tuned = stackWith({ batchSize: 100, maxBatchingWindow: Duration.seconds(5), maxConcurrency: 50, reservedConcurrency: 60, fetchTimeout: Duration.minutes(2), maxReceiveCount: 8 });

    tuned.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 100, MaximumBatchingWindowInSeconds: 5, ScalingConfig: { MaximumConcurrency: 50 } });
    tuned.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 720, RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }) });
    tuned.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 60, Timeout: 120 });
  });

  test('a failed asynchronous enqueue (a schedule firing) is kept in a queue, not dropped, and alarmed on', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('asynchronous enqueue'),
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
  });

  test('alarms and dashboard read the service and namespace the function publishes under', () => {
    const overridden = stackWith({ fetchEnvironment: { POWERTOOLS_SERVICE_NAME: 'crawler', POWERTOOLS_METRICS_NAMESPACE: 'Crawls' } });

    overridden.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({
        MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'Crawls', Dimensions: [{ Name: 'service', Value: 'crawler' }] }) }),
      })]),
    });
    overridden.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'crawler', POWERTOOLS_METRICS_NAMESPACE: 'Crawls' }) },
    });
  });

  test('fetchEnvironment is checked at synth by the schema the function reads at cold start', () => {
    expect(() => stackWith({ fetchEnvironment: { FETCH_CONCURRENCY: 'many', FETCH_BODY_MODE: 'print' } })).toThrow([
      'Invalid BatchFetcher props:',
      "- fetchEnvironment: FETCH_CONCURRENCY must be an integer from 1 to 4096, got 'many'",
      "- fetchEnvironment: FETCH_BODY_MODE must be one of discard, hash, keep, got 'print'",
    ].join('\n'));
    expect(() => stackWith({ fetchEnvironment: { FETCH_CONCURRENCY: '1000' } }))
      .toThrow("fetchEnvironment: FETCH_CONCURRENCY (1000) must be at most the connection budget (896: Lambda's 1024 descriptors less a reserve)");
  });

  test('invalid props are reported together in one clear error', () => {
    expect(() => stackWith({
      fetchTimeout: Duration.minutes(5),
      visibilityTimeout: Duration.minutes(10),
      batchSize: 50,
      maxConcurrency: 20,
      reservedConcurrency: 5,
      maxReceiveCount: 2,
      schedules: [{ name: 'x', expression: 'every hour', input: {} }],
    })).toThrow([
      'Invalid BatchFetcher props:',
      '- visibilityTimeout (600 s) must be at least 6 × fetchTimeout (1800 s)',
      '- batchSize above 10 needs maxBatchingWindow of at least 1 second',
      '- reservedConcurrency (5) must be at least maxConcurrency (20)',
      '- maxReceiveCount must be 5–1000, got 2',
      "- schedule 'x' needs rate(...), cron(...) or at(...), got 'every hour'",
      "- schedule 'x' input needs exactly one of urls, requests, source or sitemap",
    ].join('\n'));
  });
  test('jobs: an on-demand, encrypted table with TTL and point-in-time recovery; both functions get its name and only the calls they make', () => {
    const template = stackWith({ resultsBucket: true });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      // The sparse index `batchfetch jobs` lists job headers from (lib/core/state-table.ts).
      GlobalSecondaryIndexes: [Match.objectLike({
        IndexName: 'jobs-by-created',
        KeySchema: [{ AttributeName: 'listing', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }],
      })],
    });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{ Properties: { Environment: { Variables: Record<string, unknown> } } }>;
    expect(functions.every((fn) => 'JOBS_TABLE' in fn.Properties.Environment.Variables)).toBe(true);
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement)
      .flatMap((statement) => [statement.Action].flat())
      .filter((action) => action.startsWith('dynamodb:') || action.startsWith('events:'));
    expect([...new Set(actions)].sort()).toStrictEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'events:PutEvents']);
    // On the table, and the listing index only to Query it: the enqueuer finds a schedule's previous job there.
    const indexStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }).Properties.PolicyDocument.Statement)
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('dynamodb:')))
      .filter((statement) => JSON.stringify(statement.Resource).includes('index'));
    expect(indexStatements).toHaveLength(1);
    expect(indexStatements[0]!.Action).toBe('dynamodb:Query');
    expect(JSON.stringify(indexStatements[0]!.Resource)).toContain('/index/jobs-by-created');
  });
});

/** The enqueue function's properties matcher (the fetch function has its own description). */
const ENQUEUER = { Description: 'batchfetch: splits URL lists into SQS messages' };
const FETCHER = { Description: 'batchfetch: fetches the URLs of SQS messages' };

/** A policy statement allowing `action`, on any role of the template. */
function allowing(action: string | string[], resource: unknown = Match.anyValue()) {
  return { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: action, Effect: 'Allow', Resource: resource })]) } };
}

describe('BatchFetcher on a real account (issue 35: what only AWS would show)', () => {
  let account: Template;

  let lists: Bucket;

  beforeAll(() => {
    const stack = new Stack(new App(), 'Account');
    lists = new Bucket(stack, 'Lists', { encryption: BucketEncryption.KMS, enforceSSL: true });
    new BatchFetcher(stack, 'Fetcher', {
      resultsBucket: true,
      resultsExpiration: Duration.days(30),
      errorRatioMinimumUrls: 100,
      fetchEnvironment: { RESULTS_PREFIX: 'crawls/', JOB_EVENT_BUS: 'jobs' },
      sourceBuckets: [lists, Bucket.fromBucketName(stack, 'Partner', 'partner-lists')],
      sourceBucketKeys: [Key.fromKeyArn(stack, 'PartnerKey', 'arn:aws:kms:eu-west-1:111122223333:key/partner')],
      schedules: [{ name: 'Nightly', expression: 'cron(0 3 * * ? *)', input: { source: 's3://partner-lists/today.txt' } }],
    });
    account = Template.fromStack(stack);
  });

  test('grants nobody uses are gone: the enqueuer reads no single items, the scheduler invokes the function\'s own ARN, source buckets are read, not listed', () => {
    account.hasResourceProperties('AWS::IAM::Policy', allowing(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']));
    account.resourcePropertiesCountIs('AWS::IAM::Policy', allowing(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']), 1);
    account.hasResourceProperties('AWS::IAM::Policy', allowing('lambda:InvokeFunction', { 'Fn::GetAtt': [Match.stringLikeRegexp('^FetcherEnqueueFunction'), 'Arn'] }));
    expect(JSON.stringify(account.findResources('AWS::IAM::Policy'))).not.toMatch(/"lambda:InvokeFunction","Effect":"Allow","Resource":\[/);
    const sourceActions = Object.values(account.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }).Properties.PolicyDocument.Statement)
      .filter((statement) => /partner-lists|"Lists[0-9A-F]{8}"/.test(JSON.stringify(statement.Resource)))
      .map((statement) => statement.Action);
    expect(sourceActions).toStrictEqual(['s3:GetObject', 's3:GetObject']);
  });

  test('SSE-KMS source buckets: the enqueuer may decrypt with the bucket\'s key and with the keys given', () => {
    account.hasResourceProperties('AWS::IAM::Policy', allowing('kms:Decrypt', { 'Fn::GetAtt': [Match.stringLikeRegexp('^ListsKey'), 'Arn'] }));
    account.hasResourceProperties('AWS::IAM::Policy', allowing('kms:Decrypt', 'arn:aws:kms:eu-west-1:111122223333:key/partner'));
  });

  test('the table on the AWS owned key (no KMS charges), the results bucket with ACLs off (BucketOwnerEnforced)', () => {
    const table = Object.values(account.findResources('AWS::DynamoDB::GlobalTable'))[0] as { Properties: Record<string, unknown> };
    expect(JSON.stringify(table.Properties.SSESpecification ?? {})).not.toContain('KMS');
    account.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: Match.anyValue(),
    });
  });

  test('one retention: the bucket expires results after it and both functions get it for the jobs table\'s TTL', () => {
    account.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]) } });
    account.resourcePropertiesCountIs('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ JOB_RETENTION_DAYS: '30' }) } }, 2);
    // Every item the store gives a `ttl` expires: the table's TTL attribute is on.
    account.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
    expect(JSON.stringify(account.findResources('AWS::Lambda::Function'))).not.toContain('"JOB_RETENTION_DAYS":"90"');
    expect(() => stackWith({ resultsExpiration: Duration.hours(36) })).toThrow('resultsExpiration must be whole days, at least 1, got 1 day 12 hours');
  });

  test('RESULTS_PREFIX and JOB_EVENT_BUS reach both functions, and both may put events on that bus', () => {
    for (const fn of [ENQUEUER, FETCHER]) {
      account.hasResourceProperties('AWS::Lambda::Function', { ...fn, Environment: { Variables: Match.objectLike({ RESULTS_PREFIX: 'crawls/', JOB_EVENT_BUS: 'jobs' }) } });
    }
    const namedBus = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/jobs']] };
    account.resourcePropertiesCountIs('AWS::IAM::Policy', allowing('events:PutEvents', namedBus), 2);
    expect(JSON.stringify(account.findResources('AWS::IAM::Policy'))).not.toContain('event-bus/default');
  });

  test('a bus given as jobEventBus: its ARN in both functions, PutEvents on it; a bus named twice is refused', () => {
    const stack = new Stack(new App(), 'Bus');
    const bus = new EventBus(stack, 'Jobs');
    new BatchFetcher(stack, 'Fetcher', { jobEventBus: bus });
    const template = Template.fromStack(stack);
    const busArn = { 'Fn::GetAtt': [stack.getLogicalId(bus.node.defaultChild as never), 'Arn'] };

    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ JOB_EVENT_BUS: busArn }) } }, 2);
    template.resourcePropertiesCountIs('AWS::IAM::Policy', allowing('events:PutEvents', busArn), 2);
    expect(() => new BatchFetcher(new Stack(new App(), 'Twice'), 'Fetcher', { jobEventBus: EventBus.fromEventBusName(new Stack(), 'B', 'b'), fetchEnvironment: { JOB_EVENT_BUS: 'b' } }))
      .toThrow('give the job event bus once: jobEventBus or fetchEnvironment.JOB_EVENT_BUS, not both');
  });

  test('the fetch queue and its DLQ hold messages of the size the enqueuer and continuations split at (1 MiB), set explicitly', () => {
    expect(SQS_MAX_MESSAGE_BYTES).toBe(1_048_576);
    account.hasResourceProperties('AWS::SQS::Queue', { MaximumMessageSize: SQS_MAX_MESSAGE_BYTES, RedrivePolicy: Match.anyValue() });
    account.hasResourceProperties('AWS::SQS::Queue', { MaximumMessageSize: SQS_MAX_MESSAGE_BYTES, MessageRetentionPeriod: 1_209_600, RedrivePolicy: Match.absent() });
    account.resourcePropertiesCountIs('AWS::SQS::Queue', { MaximumMessageSize: SQS_MAX_MESSAGE_BYTES }, 2);
  });

  test('the error-ratio alarm needs a minimum of fetched URLs (2 failed of 2 is no rate)', () => {
    const alarm = { Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(fetched >= 100, failed / fetched, 0)' })]), Threshold: 0.5, ComparisonOperator: 'GreaterThanThreshold' };
    expect(() => stackWith({ errorRatioMinimumUrls: 0 })).toThrow('errorRatioMinimumUrls must be an integer ≥ 1, got 0');
    account.hasResourceProperties('AWS::CloudWatch::Alarm', alarm);
  });

  test('schedules: a name no job id can carry, an input the enqueue function refuses or a fixed jobId on a recurring schedule fail at synth, all in one error', () => {
    const urls = ['https://example.com/'];
    const rule = "a firing's job id, '<name>-2026-12-31T23:59:59Z', must be 1-128 letters, digits or ._:- starting with a letter or digit, and the name (the event's `schedule`) at most 64 characters";
    expect(() => stackWith({
      schedules: [
        { name: 'Nightly run', expression: 'cron(0 3 * * ? *)', input: { urls } },
        { name: 'n'.repeat(65), expression: 'rate(1 day)', input: { urls } },
        { name: 'Hourly', expression: 'rate(1 hour)', input: { urls, messageUrls: 0 } },
        { name: 'Fixed', expression: 'rate(1 hour)', input: { urls, jobId: 'fixed' } },
        // One firing only: a fixed job id is fine.
        { name: 'Once', expression: 'at(2027-01-01T00:00:00)', input: { urls, jobId: 'launch' } },
      ],
    })).toThrow([
      'Invalid BatchFetcher props:',
      `- schedule 'Nightly run' has a name no job id can carry: ${rule}`,
      `- schedule '${'n'.repeat(65)}' has a name no job id can carry: ${rule}`,
      "- schedule 'Hourly' input: invalid enqueue event (messageUrls): Invalid value: Expected >=1 but received 0",
      "- schedule 'Fixed' input sets its own jobId: every firing after the first would be that job again and enqueue nothing (leave it out: each firing's job is '<name>-<scheduled time>')",
    ].join('\n'));
  });
});

describe('BatchFetcherStack (the app\'s default stack)', () => {
  test('carries the example schedule, disabled unless asked', () => {
    const disabled = Template.fromStack(new BatchFetcherStack(new App(), 'Off'));
    const enabled = Template.fromStack(new BatchFetcherStack(new App(), 'On', { enableExampleSchedule: true }));

    disabled.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED', ScheduleExpression: 'rate(1 hour)' });
    enabled.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'ENABLED' });
  });

  test('passes cdk-nag AwsSolutions with every option on (acknowledged findings carry reasons)', () => {
    const app = new App();
    new BatchFetcherStack(app, 'Nagged', { enableExampleSchedule: true, alarmEmail: 'ops@example.com', fetcher: { resultsBucket: true } });
    Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });

  test('cdk-nag does fail an unreviewed finding (the check is live)', () => {
    const app = new App();
    const stack = new BatchFetcherStack(app, 'Unreviewed');
    new Queue(stack, 'Bare'); // no DLQ, no TLS enforcement
    Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });


  test('politeness props become the function\'s variables, checked at synth', () => {
    const polite = stackWith({ perHostRate: 2, perHostConcurrency: 4, hostRules: ['example.com=0.5/2'], robotsTxt: true });

    polite.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FETCH_PER_HOST_RATE: '2', FETCH_PER_HOST_CONCURRENCY: '4', FETCH_HOST_RULES: 'example.com=0.5/2', FETCH_ROBOTS_TXT: 'true' }) },
    });
    expect(() => stackWith({ hostRules: ['http://example.com/=2'] })).toThrow(/FETCH_HOST_RULES/);
  });
});
