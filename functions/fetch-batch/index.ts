// Lambda entry point of the SQS consumer. Configuration: environment variables (README).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readConsumerConfig } from '../../lib/index.ts';
import { createFetchBatchHandler } from './handler.ts';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batchfetch' });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Batchfetch',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batchfetch',
});

export const handler = createFetchBatchHandler({ config: readConsumerConfig(), logger, metrics });
