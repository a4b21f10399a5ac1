import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { totalmem } from 'node:os';

/** The memory a Lambda context reports; read once (constrainedMemory() reads cgroup files each call). */
let memoryLimitInMB: string | undefined;

/**
 * A Lambda context for invocations outside Lambda (local run, worker). `remainingMs` is the
 * invocation's time budget; the local run has no Lambda timeout, so it defaults to "unbounded"
 * (the run's own --deadline and Ctrl-C reach the handler through its abort signal instead).
 */
function localContext(remainingMs = 2 ** 31 - 1): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'batchfetch-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:batchfetch-local',
    // constrainedMemory() is a huge sentinel when no cgroup limit applies: report the machine's memory.
    memoryLimitInMB: memoryLimitInMB ??= String(Math.round(Math.min(process.constrainedMemory() || Number.POSITIVE_INFINITY, totalmem()) / 1024 / 1024)),
    awsRequestId: randomUUID(),
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export { localContext };
