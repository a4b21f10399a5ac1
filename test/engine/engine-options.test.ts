import { readFileSync } from 'node:fs';
import { FETCH_FLAGS, FLAG_OF_OPTION } from '../../bin/fetch-flags.ts';
import { OPTION_NAMES } from '../../lib/engine/options.ts';
import { createFetchEngine, InvalidOptionError } from '../../lib/index.ts';

/*
 * Issue 34, item 8: the engine as a library refuses options it does not know (a misspelt one was
 * silently ignored and its default used), and docs/engine.md says which engine option each CLI
 * flag sets, as bin/fetch-flags.ts maps them.
 */
const root = new URL('../../', import.meta.url);

function refusal(options: object): InvalidOptionError {
  try {
    createFetchEngine(options);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(options)}`);
}

describe('unknown engine options', () => {
  test('a misspelt option is refused, named, with the closest known one', () => {
    const error = refusal({ concurency: 8 });
    expect([error.code, error.option, error.message]).toStrictEqual(['INVALID_OPTION', 'concurency',
      'Unknown engine option `concurency` (did you mean `concurrency`?); the options are listed in docs/engine.md']);
    expect(refusal({ timeoutMs: 1000, timeout: 5 }).message).toContain('`timeout` (did you mean `timeoutMs`?)');
  });

  test('a name like no option is refused without a suggestion', () => {
    expect(refusal({ somethingElseEntirely: true }).message).toBe('Unknown engine option `somethingElseEntirely`; the options are listed in docs/engine.md');
  });

  test('every known option is accepted, also when undefined', async () => {
    const engine = createFetchEngine(Object.fromEntries(Object.keys(OPTION_NAMES).map((name) => [name, undefined])));
    await engine.close();
  });
});

describe('CLI flags and engine options', () => {
  // `perHost` names the pair of flags in a message about both; it is no option of its own.
  const flagOptions = Object.entries(FLAG_OF_OPTION).filter(([option]) => option !== 'perHost');
  const page = readFileSync(new URL('docs/engine.md', root), 'utf8');
  const table = page.slice(page.indexOf('| CLI flag | engine option |'));
  const rows = [...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| `--([a-z-]+)[^|]*\| `([A-Za-z]+)`/gm)].map((row) => [row[1]!, row[2]!] as const);

  test('every flag the messages name sets a known engine option', () => {
    expect(flagOptions.filter(([option]) => !Object.hasOwn(OPTION_NAMES, option))).toStrictEqual([]);
  });

  test("docs/engine.md's table has every fetch flag once, each setting a known option", () => {
    expect(rows.map(([flag]) => flag).sort()).toStrictEqual(Object.keys(FETCH_FLAGS).sort());
    expect(rows.filter(([, option]) => !Object.hasOwn(OPTION_NAMES, option))).toStrictEqual([]);
  });

  test('the table agrees with the flag each option error names', () => {
    const documented = new Set(rows.map(([flag, option]) => `--${flag} ${option}`));
    expect(flagOptions.filter(([option, flag]) => !documented.has(`${flag} ${option}`))).toStrictEqual([]);
  });
});
