import { createFetchEngine, type FetchEngine, type FetchEngineOptions, type FetchRequest, type FetchResult } from '../../lib/index.ts';

const open: FetchEngine[] = [];

/** Sleeps recorded instead of waited: backoff is asserted on, never timed. */
function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => { delays.push(ms); } };
}

/** An engine allowed to reach loopback, closed by `closeEngines()`. */
function localEngine(options: FetchEngineOptions = {}): FetchEngine {
  const engine = createFetchEngine({ allowNetworks: ['127.0.0.0/8', '::1/128'], retryBaseDelayMs: 10, random: () => 0.5, ...options });
  open.push(engine);
  return engine;
}

/** An engine with the default (safe) destination policy. */
function safeEngine(options: FetchEngineOptions = {}): FetchEngine {
  const engine = createFetchEngine(options);
  open.push(engine);
  return engine;
}

/** Every result of `engine.fetchAll(requests)`, in completion order. */
async function fetchAllOf(engine: FetchEngine, requests: readonly FetchRequest[]): Promise<FetchResult[]> {
  const results: FetchResult[] = [];
  for await (const result of engine.fetchAll(requests)) results.push(result);
  return results;
}

async function closeEngines(): Promise<void> {
  await Promise.all(open.splice(0).map((engine) => engine.destroy()));
}

export { closeEngines, fetchAllOf, localEngine, recordingSleep, safeEngine };
