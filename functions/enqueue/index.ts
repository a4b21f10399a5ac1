// Lambda entry point of the enqueuer. Configuration: environment variables (README).
import { Logger } from '@aws-lambda-powertools/logger';
import { readEnqueueConfig } from '../../lib/config/env-config.ts';
import { createEnqueueHandler } from './handler.ts';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'batchfetch-enqueue' });

export const handler = createEnqueueHandler({ config: readEnqueueConfig(), logger });
