import { Server } from 'node:net';

const ANY_HOST = new Set(['0.0.0.0', '::', undefined]);

/**
 * Runs `start` with every server it starts listening on `host` instead of on all interfaces.
 * fauxqs 2.4 calls `app.listen({ port, host: "0.0.0.0" })` whatever host it is given
 * (dist/app.js), which would let anyone who can reach this machine add URLs to a local run and
 * have them fetched under the user's `--allow-network`. Node's `net.Server#listen` is where the
 * address is finally chosen, so it is patched for the duration of the call, then restored.
 */
async function listenOnHost<T>(host: string, start: () => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the server as `this`, and restored
  const listen = Server.prototype.listen;
  Server.prototype.listen = function listenOnChosenHost(this: Server, ...args: unknown[]) {
    const [first] = args;
    if (typeof first === 'object' && first !== null && !Array.isArray(first) && ANY_HOST.has((first as { host?: string }).host)) {
      args[0] = { ...first, host };
    } else if (typeof first === 'number' && (typeof args[1] !== 'string' || ANY_HOST.has(args[1]))) {
      args.splice(1, typeof args[1] === 'string' ? 1 : 0, host);
    }
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
  try {
    return await start();
  } finally {
    Server.prototype.listen = listen;
  }
}

export { listenOnHost };
