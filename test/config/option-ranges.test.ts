import { describeRange, OPTION_RANGES } from '../../lib/core/option-ranges.ts';
import { consumerConfigProblems } from '../../lib/config/env-config.ts';
import { createFetchEngine, readEnqueueConfig } from '../../lib/index.ts';
import { parseEnqueueEvent } from '../../lib/enqueue/enqueue-event.ts';
import { parseQueueMessage } from '../../lib/schemas/queue-message.ts';
import { engineOptionsFrom } from '../../bin/fetch-flags.ts';
import { integerFlag } from '../../bin/usage-error.ts';

/*
 * Every surface that takes a setting — engine option, environment variable, CLI flag, queue
 * message `options`, enqueue event — accepts exactly the range of OPTION_RANGES: the largest
 * value everywhere, one more nowhere.
 */
const SURFACES = [
  { option: 'perOrigin', env: 'FETCH_PER_ORIGIN', flag: 'per-origin' },
  { option: 'timeoutMs', env: 'FETCH_TIMEOUT_MS', flag: 'timeout', message: true },
  { option: 'connectTimeoutMs', env: 'FETCH_CONNECT_TIMEOUT_MS', flag: 'connect-timeout' },
  { option: 'retries', env: 'FETCH_RETRIES', flag: 'retries', message: true },
  { option: 'maxBodyBytes', env: 'FETCH_MAX_BODY_BYTES', flag: 'max-bytes', message: true },
  { option: 'maxRedirects', env: 'FETCH_MAX_REDIRECTS', flag: 'max-redirects' },
] as const;

describe('one range per setting, on every surface', () => {
  test.each(SURFACES)('$option', ({ option, env, flag, ...rest }) => {
    const range = OPTION_RANGES[option];
    const over = String(range.max + 1);
    const top = String(range.max);

    expect(() => createFetchEngine({ [option]: range.max }).destroy()).not.toThrow();
    expect(() => createFetchEngine({ [option]: range.max + 1 })).toThrow(describeRange(range));
    expect(consumerConfigProblems({ [env]: top }, { readFiles: false })).toStrictEqual([]);
    expect(consumerConfigProblems({ [env]: over }, { readFiles: false })).toStrictEqual([`${env} must be ${describeRange(range)}, got '${over}'`]);
    expect(engineOptionsFrom({ [flag]: top })).toMatchObject({ [option]: range.max });
    expect(() => engineOptionsFrom({ [flag]: over })).toThrow(`--${flag} expects ${describeRange(range)}, got '${over}'`);
    if ('message' in rest) {
      expect(parseQueueMessage(JSON.stringify({ urls: ['https://e.example/'], options: { [option]: range.max } }))).toMatchObject({ ok: true });
      expect(parseQueueMessage(JSON.stringify({ urls: ['https://e.example/'], options: { [option]: range.max + 1 } }))).toMatchObject({ ok: false });
      expect(parseEnqueueEvent({ urls: ['https://e.example/'], options: { [option]: range.max } })).toMatchObject({ ok: true });
      expect(parseEnqueueEvent({ urls: ['https://e.example/'], options: { [option]: range.max + 1 } })).toMatchObject({ ok: false });
    }
  });

  test('concurrency: the same range everywhere, and the connection budget on top', () => {
    const range = OPTION_RANGES.concurrency;
    expect(engineOptionsFrom({ concurrency: String(range.max) })).toMatchObject({ concurrency: range.max });
    // The CLI leaves the bounds of a number to the engine, which names the real upper one.
    expect(() => createFetchEngine(engineOptionsFrom({ concurrency: String(range.max + 1) })).destroy()).toThrow(describeRange(range));
    expect(consumerConfigProblems({ FETCH_CONCURRENCY: String(range.max), FETCH_MAX_SOCKETS: String(range.max) }, { readFiles: false })).toStrictEqual([]);
    expect(consumerConfigProblems({ FETCH_CONCURRENCY: String(range.max + 1) }, { readFiles: false })[0]).toContain(describeRange(range));
    expect(() => createFetchEngine({ concurrency: range.max, maxSockets: range.max }).destroy()).not.toThrow();
  });

  test('URLs per message: the CLI flag, the enqueue function and the message schema agree', () => {
    const range = OPTION_RANGES.messageUrls;
    expect(integerFlag('message-urls', String(range.max), range)).toBe(range.max);
    expect(readEnqueueConfig({ QUEUE_URL: 'q', MESSAGE_URLS: String(range.max) }).messageUrls).toBe(range.max);
    expect(() => readEnqueueConfig({ QUEUE_URL: 'q', MESSAGE_URLS: String(range.max + 1) })).toThrow(describeRange(range));
    expect(parseEnqueueEvent({ urls: ['https://e.example/'], messageUrls: range.max + 1 })).toMatchObject({ ok: false });
    const urls = Array.from({ length: range.max + 1 }, (_, i) => `https://e.example/${i}`);
    expect(parseQueueMessage(JSON.stringify({ urls: urls.slice(1) }))).toMatchObject({ ok: true });
    expect(parseQueueMessage(JSON.stringify({ urls }))).toMatchObject({ ok: false });
  });
});
