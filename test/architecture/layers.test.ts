import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importsUnder, unitOf } from './imports.ts';

/*
 * lib/ is layered as docs/architecture.md says, and the tools keep it so: the table of layers is
 * read from the docs, and every import is checked against it.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Floor of each lib/ folder, from the docs' table (bottom first). */
function floors(): Map<string, number> {
  const text = readFileSync(`${ROOT}docs/architecture.md`, 'utf8');
  const table = text.slice(text.indexOf('<!-- layers:'), text.indexOf('<!-- /layers -->'));
  const floorOf = new Map<string, number>();
  for (const row of table.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)) {
    for (const folder of row[2]!.matchAll(/`([a-z-]+\/)`/g)) floorOf.set(folder[1]!, Number(row[1]));
  }
  return floorOf;
}

describe('the layers of lib/', () => {
  const floorOf = floors();
  const libImports = importsUnder('lib').filter((edge) => edge.to.startsWith('lib/'));

  test('every folder of lib/ has a floor in docs/architecture.md', () => {
    const units = new Set(libImports.flatMap((edge) => [unitOf(edge.from), unitOf(edge.to)]).filter((unit) => unit.endsWith('/')));

    expect(floorOf.size).toBeGreaterThan(10);
    expect([...units].filter((unit) => !floorOf.has(unit))).toStrictEqual([]);
  });

  test('imports between folders point down only: no import up or sideways, so no folder cycle', () => {
    const wrong = libImports
      .filter((edge) => unitOf(edge.from) !== unitOf(edge.to) && unitOf(edge.from) !== 'index.ts')
      .filter((edge) => !(floorOf.get(unitOf(edge.from))! > floorOf.get(unitOf(edge.to))!))
      .map((edge) => `${edge.from} -> ${edge.to}`);

    expect(wrong).toStrictEqual([]);
  });

  test('lib/ has no files outside its layers but the public surface (index.ts)', () => {
    const loose = libImports.flatMap((edge) => [unitOf(edge.from), unitOf(edge.to)]).filter((unit) => !unit.endsWith('/'));

    expect([...new Set(loose)]).toStrictEqual(['index.ts']);
  });

  test('functions/ and bin/ reach net/ only through the engine, and only the engine\'s public modules', () => {
    const publicEngine = new Set(['lib/engine/fetch-engine.ts', 'lib/engine/fetch-types.ts', 'lib/engine/options.ts', 'lib/engine/change.ts']);
    const reaching = importsUnder('functions', 'bin')
      .filter((edge) => edge.to.startsWith('lib/net/') || (edge.to.startsWith('lib/engine/') && !publicEngine.has(edge.to)))
      .map((edge) => `${edge.from} -> ${edge.to}`);

    expect(reaching).toStrictEqual([]);
  });

  test('a file in lib/ longer than 300 lines says why (a comment: "Longer than 300 lines because")', () => {
    const long = readdirSync(`${ROOT}lib`, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => ({ name, text: readFileSync(`${ROOT}lib/${name}`, 'utf8') }))
      .filter(({ text }) => text.split('\n').length > 300 && !text.includes('Longer than 300 lines because'))
      .map(({ name }) => name);

    expect(long).toStrictEqual([]);
  });

  test('lib/ never imports from functions/, bin/, infra/ or test/', () => {
    const outward = importsUnder('lib').filter((edge) => !edge.to.startsWith('lib/')).map((edge) => `${edge.from} -> ${edge.to}`);

    expect(outward).toStrictEqual([]);
  });
});
