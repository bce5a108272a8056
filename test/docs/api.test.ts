// Proves the API reference is kept true: every export of every entry point (runwarden,
// runwarden/job, runwarden/fastify) has a doc comment, docs/api.md is what the doc comments
// generate now (regenerate with `npm run docs:api`), and the generator misses no runtime export.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiEntries, apiMarkdown, apiPath, entryPoints, exportedNames } from '../../docs/generate-api.ts';
import { repoRoot } from '../shells/cli/run-cli.ts';

describe('the API reference', () => {
  it('finds a doc comment for every export of every entry point', () => {
    for (const { specifier, entries, missing } of apiEntries()) {
      expect({ specifier, missing }).toEqual({ specifier, missing: [] });
      const undocumented = entries.filter((e) => e.doc === '').map((e) => `${e.name} (${e.file})`);
      expect({ specifier, undocumented }).toEqual({ specifier, undocumented: [] });
    }
  });

  it('lists every value an entry point exports at run time', async () => {
    for (const [specifier, file] of entryPoints) {
      const values = Object.keys(await import(join(repoRoot, file))).filter((k) => k !== 'default');
      const listed = exportedNames(file);
      expect({ specifier, unlisted: values.filter((v) => !listed.includes(v)) }).toEqual({
        specifier,
        unlisted: [],
      });
    }
  });

  it('is docs/api.md as generated from the doc comments now (run npm run docs:api if not)', () => {
    const page = readFileSync(apiPath, 'utf8');
    expect(page).toBe(apiMarkdown());
    for (const { entries } of apiEntries())
      for (const e of entries) expect(page).toContain(`### \`${e.name}\``);
  });
});
