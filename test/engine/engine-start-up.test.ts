import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/*
 * What loading the engine loads. An ES module import of a builtin copies all its exports
 * (https://nodejs.org/api/esm.html#builtin-modules): `import … from 'node:http'` runs node:http's
 * lazy getters and loads Node's bundled undici, worker_threads and web streams, tens of ms of CPU
 * at every cold start that nothing here uses. The engine takes what it needs of node:http
 * through process.getBuiltinModule instead.
 */
const engine = fileURLToPath(new URL('../../lib/engine/fetch-engine.ts', import.meta.url));
const BUNDLED_UNDICI = 'NativeModule internal/deps/undici/undici';

test('loading the engine does not load Node\'s bundled undici; an ES module import of node:http would', () => {
  const script = `
    const loaded = () => process.moduleLoadList.includes(${JSON.stringify(BUNDLED_UNDICI)});
    await import(${JSON.stringify(engine)});
    const byEngine = loaded();
    await import('node:http');
    console.log(JSON.stringify({ byEngine, byEsmImportOfHttp: loaded() }));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });

  expect(JSON.parse(output)).toStrictEqual({ byEngine: false, byEsmImportOfHttp: true });
});
