// The pieces of undici the engine uses, imported by path: the package root also loads fetch,
// WebSocket, EventSource, caching and mocks, which made up 717 KiB of a 1.4 MiB Lambda bundle
// (esbuild cannot tree-shake CommonJS). undici has no `exports` map, so these paths are
// importable; the version is pinned exactly in package.json.
import buildConnector from 'undici/lib/core/connect.js';
import Client from 'undici/lib/dispatcher/client.js';
import Pool from 'undici/lib/dispatcher/pool.js';

export { buildConnector, Client, Pool };
