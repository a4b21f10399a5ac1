import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Import {
  /** The importing file, relative to the repository root. */
  readonly from: string;
  /** The imported file, relative to the repository root. */
  readonly to: string;
}

/** Every relative import (static, dynamic and type-only) of every .ts file under `dirs`. */
function importsUnder(...dirs: string[]): Import[] {
  const found: Import[] = [];
  for (const dir of dirs) {
    for (const name of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (!name.endsWith('.ts')) continue;
      const from = join(dir, name);
      // TypeScript's own scanner: import/export declarations and import() calls, not text matches.
      const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, from), 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (fileName.startsWith('.')) found.push({ from, to: normalize(join(dirname(from), fileName)) });
      }
    }
  }
  return found;
}

/** The unit a file belongs to in lib/: its folder, or the file itself at lib/'s top level. */
function unitOf(path: string): string {
  const inLib = relative('lib', path);
  const [first, ...rest] = inLib.split('/');
  return rest.length > 0 ? `${first}/` : first!;
}

export { importsUnder, type Import, unitOf };
