// Generates docs/api.md, the reference of the package's exports (runwarden, runwarden/job,
// runwarden/fastify), from their doc comments. TypeDoc needs the classic TypeScript API (its
// peer range ends at TS 6) and this project compiles with TS 7, so this follows the sources'
// export statements itself. Run with `npm run docs:api`; test/docs/api.test.ts fails while
// docs/api.md is stale or an export has no doc comment.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
export const apiPath = join(root, 'docs/api.md');

/** The package's entry points: import specifier and source file. */
export const entryPoints: ReadonlyArray<readonly [string, string]> = [
  ['runwarden', 'shells/api/index.ts'],
  ['runwarden/job', 'shells/job/reporter.ts'],
  ['runwarden/fastify', 'shells/http/plugin.ts'],
];

/** One exported name, where it is declared, its kind and its doc comment ('' when it has none). */
export interface ApiEntry {
  readonly name: string;
  readonly kind: string;
  readonly file: string;
  readonly doc: string;
  /** For a class: its public members with their doc comments. */
  readonly members: ReadonlyArray<{ readonly name: string; readonly doc: string }>;
}

const source = (file: string) => readFileSync(join(root, file), 'utf8');

/** The doc comment that ends right before `at` in `text` (only whitespace between), cleaned. */
function docBefore(text: string, at: number): string {
  const before = text.slice(0, at).trimEnd();
  if (!before.endsWith('*/')) return '';
  const start = before.lastIndexOf('/**');
  if (start < 0) return '';
  return before
    .slice(start + 3, -2)
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
}

/** `a`, `type a`, `a as b` of an export or import list, as [local, exported] pairs. */
function namesOf(list: string): Array<[string, string]> {
  return list
    .split(',')
    .map((part) => part.trim().replace(/^type\s+/, ''))
    .filter((part) => part !== '')
    .map((part) => {
      const [local, exported] = part.split(/\s+as\s+/);
      return [local ?? part, exported ?? local ?? part];
    });
}

/** The public members of the class `name` declared in `text` (methods and fields with docs). */
function membersOf(text: string, at: number): Array<{ name: string; doc: string }> {
  const open = text.indexOf('{', at);
  let depth = 0;
  let close = open;
  for (; close < text.length; close++) {
    if (text[close] === '{') depth++;
    if (text[close] === '}' && --depth === 0) break;
  }
  const body = text.slice(open + 1, close);
  const member = /^ {2}(?:static\s+|readonly\s+|async\s+|get\s+|\*\s*)*([A-Za-z]\w*)\s*[(<:?=]/gm;
  return [...body.matchAll(member)]
    .filter((m) => m[1] !== 'constructor')
    .map((m) => ({ name: m[1] ?? '', doc: docBefore(body, m.index) }));
}

/** Find the declaration of `name` exported from `file`, following re-exports and imports. */
export function resolveExport(file: string, name: string, depth = 0): ApiEntry | null {
  if (depth > 8) return null;
  const text = source(file);
  const declaration = new RegExp(
    `^export\\s+(?:default\\s+)?(?:declare\\s+)?(?:async\\s+)?(function\\*?|class|interface|type|const|let)\\s+${name}\\b`,
    'm',
  );
  const found = declaration.exec(text);
  if (found !== null) {
    const kind = (found[1] ?? '').replace('*', '');
    const members = kind === 'class' ? membersOf(text, found.index) : [];
    return { name, kind, file, doc: docBefore(text, found.index), members };
  }
  const reexports = /^export\s+(?:type\s+)?\{([^}]*)\}(?:\s*from\s*'([^']+)')?;/gm;
  for (const m of text.matchAll(reexports)) {
    const pair = namesOf(m[1] ?? '').find(([, exported]) => exported === name);
    if (pair === undefined) continue;
    const own = docBefore(text, m.index);
    const target = m[2] ?? importSourceOf(text, pair[0]);
    const inner = target === null ? null : resolveExport(join(dirname(file), target), pair[0], depth + 1);
    if (inner === null) return own === '' ? null : { name, kind: 'const', file, doc: own, members: [] };
    return { ...inner, name, doc: own === '' ? inner.doc : own };
  }
  return null;
}

/** The module a local name was imported from in `text`, or null. */
function importSourceOf(text: string, local: string): string | null {
  for (const m of text.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'([^']+)';/gm)) {
    const pair = namesOf(m[1] ?? '').find(([, as]) => as === local);
    if (pair !== undefined) return m[2] ?? null;
  }
  return null;
}

/** The names an entry point exports (declared there or re-exported). */
export function exportedNames(file: string): string[] {
  const text = source(file);
  const names = [...text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)].flatMap((m) =>
    namesOf(m[1] ?? '').map(([, exported]) => exported),
  );
  const declared = [
    ...text.matchAll(
      /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|class|interface|type|const|let)\s+(\w+)/gm,
    ),
  ].map((m) => m[1] ?? '');
  if (/^export\s+default\s/m.test(text)) declared.push('default');
  return [...new Set([...names, ...declared])].filter((n) => n !== 'default');
}

/** Every export of every entry point, resolved. */
export function apiEntries(): Array<{ specifier: string; entries: ApiEntry[]; missing: string[] }> {
  return entryPoints.map(([specifier, file]) => {
    const names = exportedNames(file).sort((a, b) => a.localeCompare(b));
    const resolved = names.map((name) => resolveExport(file, name));
    return {
      specifier,
      entries: resolved.filter((e): e is ApiEntry => e !== null),
      missing: names.filter((_, i) => resolved[i] === null),
    };
  });
}

/** docs/api.md as the sources say it. */
export function apiMarkdown(): string {
  const lines = [
    '# API reference',
    '',
    '<!-- generated by npm run docs:api from the doc comments; do not edit (test/docs/api.test.ts) -->',
    '',
    'The exports of the package, by entry point. Types are in the shipped `.d.ts` files; the',
    'contract of each is its doc comment, reproduced here.',
  ];
  for (const { specifier, entries } of apiEntries()) {
    lines.push('', `## \`${specifier}\``);
    for (const entry of entries) {
      lines.push(
        '',
        `### \`${entry.name}\` (${entry.kind})`,
        '',
        entry.doc,
        '',
        `Source: \`${relative(root, join(root, entry.file))}\``,
      );
      const documented = entry.members.filter((m) => m.doc !== '');
      if (documented.length > 0) {
        lines.push('');
        for (const member of documented)
          lines.push(`- \`${member.name}\`: ${member.doc.replaceAll('\n', ' ')}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) {
  writeFileSync(apiPath, apiMarkdown());
  console.log('docs/api.md: regenerated');
}
