import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { ScheduleTargetBase, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FetchSchedule } from './batch-fetcher-props.ts';

/**
 * A schedule's Lambda target whose role may invoke the function's unqualified ARN only, the ARN
 * the schedule invokes (CDK's LambdaInvoke also grants `<function ARN>:*`, every version and
 * alias). An unqualified ARN in a policy allows invoking the unqualified function
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
 */
class InvokeFunction extends ScheduleTargetBase {
  readonly #fn: IFunction;

  constructor(fn: IFunction, props: ScheduleTargetBaseProps) {
    super(props, fn.functionArn);
    this.#fn = fn;
  }

  protected addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.#fn.functionArn] }));
  }
}

/**
 * The enqueue event a schedule's firing sends: its input, with the job's id (the schedule's name
 * and the firing's `scheduledTime`), the schedule's name and whether the job compares, unless the
 * input sets them itself.
 */
function scheduledEvent(spec: FetchSchedule, canCompare: boolean, scheduledTime: string): Record<string, unknown> {
  return { jobId: `${spec.name}-${scheduledTime}`, schedule: spec.name, compare: spec.compare ?? canCompare, ...spec.input };
}

/**
 * EventBridge Scheduler schedules (AWS's recommended scheduler) invoking the enqueue function,
 * each with its own retry policy, and one encrypted DLQ for invocations that still fail.
 */
class FetchSchedules extends Construct {
  readonly deadLetterQueue: Queue;
  readonly schedules: Schedule[];

  constructor(scope: Construct, id: string, props: { readonly target: IFunction; readonly schedules: readonly FetchSchedule[]; readonly canCompare: boolean }) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the schedules\' Lambda targets.',
    });
    // Our own role (CDK would otherwise share a stack-level one): it can invoke the enqueue
    // function only, and only schedules of this account can assume it (confused deputy).
    const role = new Role(this, 'InvokeRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
    });
    this.schedules = props.schedules.map((spec) => new Schedule(this, spec.name, {
      description: `batchfetch: ${spec.name}`,
      schedule: ScheduleExpression.expression(spec.expression, TimeZone.of(spec.timeZone ?? 'UTC')),
      enabled: spec.enabled ?? true,
      target: new InvokeFunction(props.target, {
        role,
        // One job per firing: the scheduled time is the same for every retry of a firing, so a
        // retried invocation resumes that job rather than starting a second one
        // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
        // `schedule` names the job's schedule: its job compares with the schedule's previous one.
        input: ScheduleTargetInput.fromObject(scheduledEvent(spec, props.canCompare, ContextAttribute.scheduledTime)),
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.deadLetterQueue,
      }),
    }));
  }
}

export { FetchSchedules, scheduledEvent };
