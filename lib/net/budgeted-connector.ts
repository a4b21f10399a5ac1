import type { Socket } from 'node:net';
import type { buildConnector as BuildConnector } from 'undici';
import { classifyError, LOCAL_EXHAUSTION_CODES } from './classify-error.ts';
import type { SocketBudget } from './socket-budget.ts';

/** This machine ran out of descriptors or ports: back-pressure, never a result of the URL. */
function isLocalExhaustion(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && LOCAL_EXHAUSTION_CODES.has(code);
}

interface BudgetedConnectorOptions {
  readonly budget: SocketBudget;
  /** How long a connect keeps waiting out local exhaustion before its URL ends, in ms. */
  readonly giveUpAfterMs: number;
}

/** Pause before asking the OS again when no socket of ours closed in the meantime. */
const EXHAUSTION_RETRY_MS = [10, 25, 50, 100, 250, 500] as const;

/**
 * Wraps a connector so every socket holds a slot of the engine's `SocketBudget` from before it is
 * opened until it closes. A connect that finds the budget spent waits (idle sockets of other
 * origins are closed for it); one that the OS refuses for lack of descriptors or ports shrinks the
 * budget and tries again, without spending a retry, until `giveUpAfterMs` has passed: only then
 * does it fail, with `RESOURCE_EXHAUSTED`.
 */
function createBudgetedConnector(inner: BuildConnector.connector, options: BudgetedConnectorOptions): BuildConnector.connector {
  const { budget, giveUpAfterMs } = options;

  return function budgetedConnect(connectOptions, callback) {
    let started: number | undefined;
    let refusals = 0;
    // The pool's key (`URL#origin`): undici's client passes its URL's own `host` (brackets and
    // non-default port included, lib/dispatcher/client.js `connect`), so scheme and host spell it.
    const origin = `${connectOptions.protocol}//${connectOptions.host ?? connectOptions.hostname}`;

    const connectWithSlot = (): void => {
      try {
        inner(connectOptions, settle);
      } catch (error) {
        // net.connect throws EMFILE synchronously when it cannot create the socket at all.
        settle(error as Error, null);
      }
    };

    const settle = (error: Error | null, socket: Socket | null): void => {
      if (error === null && socket) {
        budget.track(socket, origin);
        callback(null, socket);
        return;
      }
      budget.release();
      if (!isLocalExhaustion(error)) {
        callback(error!, null); // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion -- undici's callback type wants an Error here
        return;
      }
      budget.exhausted();
      started ??= performance.now();
      if (performance.now() - started >= giveUpAfterMs) {
        // The shortage outlasted the attempt deadline: RESOURCE_EXHAUSTED, as classified everywhere.
        callback(classifyError(error), null);
        return;
      }
      const pause = EXHAUSTION_RETRY_MS[Math.min(refusals, EXHAUSTION_RETRY_MS.length - 1)]!;
      refusals += 1;
      setTimeout(start, pause);
    };

    const start = (): void => {
      const wait = budget.acquire();
      if (wait === undefined) connectWithSlot();
      else wait.then(connectWithSlot, (error: Error) => callback(error, null));
    };

    start();
  };
}

export { createBudgetedConnector };
