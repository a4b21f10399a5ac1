// The CDK app (`npx cdk synth`, `npx cdk deploy`): one BatchFetcherStack, checked by cdk-nag.
// Context: -c exampleSchedule=true, -c resultsBucket=true, -c alarmEmail=you@example.com,
//          -c stackName=Batchfetch
import { App, Validations } from 'aws-cdk-lib';
import nag from 'cdk-nag';
import { BatchFetcherStack } from './batch-fetcher-stack.ts';

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key) as string | undefined;
const flag = (key: string): boolean => String(context(key)) === 'true';

new BatchFetcherStack(app, context('stackName') ?? 'Batchfetch', {
  description: 'batchfetch: fetch large batches of URLs on AWS Lambda',
  enableExampleSchedule: flag('exampleSchedule'),
  ...(context('alarmEmail') ? { alarmEmail: context('alarmEmail')! } : {}),
  fetcher: { resultsBucket: flag('resultsBucket') },
});

Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app, { verbose: true }));
app.synth();
