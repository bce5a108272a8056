// Proves the library API is the only door: no file under shells/cli or shells/http imports a
// runtime/ module (static import, re-export, dynamic import or require), found by resolving every
// module specifier of every file against the file's own directory.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './shells/cli/run-cli.ts';

/** Every module specifier in `source`: `from '…'`, `import '…'`, `import('…')`, `require('…')`. */
function specifiersOf(source: string): string[] {
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1] ?? ''));
}

/** The runtime/ modules `file` (with text `source`) imports, as paths from the repository root. */
function runtimeImports(file: string, source: string): string[] {
  const runtimeDir = join(repoRoot, 'runtime') + sep;
  return specifiersOf(source)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec))
    .filter((target) => target.startsWith(runtimeDir))
    .map((target) => relative(repoRoot, target));
}

/** Source files under `dir`, recursively. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('the shells use the library API only', () => {
  it('finds a runtime import of any form (the check bites)', () => {
    const file = join(repoRoot, 'shells/cli/commands/x.ts');
    const source = [
      "import { a } from '../../../runtime/local/layout.ts';",
      "export type { B } from '../../../runtime/fs/read-json.ts';",
      "const c = await import('../../../runtime/progress/run-follower.ts');",
      "import '../../../runtime/local/ports.ts';",
      "import { d } from '../../api/logs.ts';",
    ].join('\n');
    expect(runtimeImports(file, source)).toEqual([
      'runtime/local/layout.ts',
      'runtime/fs/read-json.ts',
      'runtime/local/ports.ts',
      'runtime/progress/run-follower.ts',
    ]);
  });

  it('has no file under shells/cli or shells/http importing from runtime/', () => {
    const files = ['shells/cli', 'shells/http'].flatMap((dir) => sourcesUnder(join(repoRoot, dir)));
    expect(files.length).toBeGreaterThan(30);
    const offenders = files.flatMap((file) =>
      runtimeImports(file, readFileSync(file, 'utf8')).map(
        (target) => `${relative(repoRoot, file)} → ${target}`,
      ),
    );
    expect(offenders).toEqual([]);
  });
});
