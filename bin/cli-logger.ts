import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The consumer's logger on a command line: its warnings as one plain line each
 * (`batchfetch: message not acknowledged; SQS will deliver it again (messageId=…, reason=…)`)
 * instead of Lambda's JSON, and silenced for good once the output failed (every record in flight
 * would report the same failure; Powertools resets its log level at each invocation, so
 * `setLogLevel('SILENT')` would not last).
 */
class CliLogger extends Logger {
  silenced = false;

  constructor(serviceName: string) {
    super({ serviceName, logLevel: 'WARN' });
  }

  override warn(input: Parameters<Logger['warn']>[0], ...extra: unknown[]): void {
    if (this.silenced) return;
    const text = typeof input === 'string' ? input : (input as { message?: unknown }).message;
    const message = typeof text === 'string' ? text : JSON.stringify(text ?? '');
    const fields = extra.flatMap((item) => (typeof item === 'object' && item !== null && !(item instanceof Error)
      ? Object.entries(item).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      : [item instanceof Error ? item.message : String(item)]));
    process.stderr.write(`batchfetch: ${message}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}\n`);
  }
}

export { CliLogger };
