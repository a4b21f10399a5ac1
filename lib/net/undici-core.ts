// The two pieces of undici the engine uses, imported by path: the package root also loads
// fetch, WebSocket, EventSource, caching and mocks, which made up 717 KiB of a 1.4 MiB Lambda
// bundle (esbuild cannot tree-shake CommonJS). undici has no `exports` map, so these paths are
// importable; the version is pinned exactly in package.json.
import Agent from 'undici/lib/dispatcher/agent.js';
import buildConnector from 'undici/lib/core/connect.js';

export { Agent, buildConnector };
