// Lambda entry point of the SQS consumer. Configuration: environment variables (README).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readConsumerConfig } from '../../lib/config/env-config.ts';
import { createFetchBatchHandler } from './handler.ts';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batchfetch' });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Batchfetch',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batchfetch',
});

// Top-level await: the clients this configuration uses are loaded during Lambda's init phase
// (ES module handlers may await at top level: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html).
export const handler = await createFetchBatchHandler({ config: readConsumerConfig(), logger, metrics });
