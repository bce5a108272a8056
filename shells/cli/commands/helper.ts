// `runwarden helper python [--path]`: the stdlib-only Python reporter, to copy into a project
// (`runwarden helper python > runwarden_reporter.py`) or to import by path.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RunwardenError } from '../../api/errors.ts';

const helperFiles: Readonly<Record<string, string>> = { python: 'runwarden_reporter.py' };

/** Where a helper file is: beside the bundle (dist/cli) or in the source tree (shells/job). */
function helperPath(file: string): string {
  const candidates = [new URL(`./${file}`, import.meta.url), new URL(`../../job/${file}`, import.meta.url)];
  const found = candidates.map((url) => fileURLToPath(url)).find((path) => existsSync(path));
  if (found === undefined)
    throw new RunwardenError('RW_NOT_FOUND', `the ${file} helper is missing from this installation`);
  return found;
}

export function helperCommand(language: string, flags: { path?: boolean }): Promise<number> {
  const file = helperFiles[language];
  if (file === undefined) {
    throw new RunwardenError(
      'RW_USAGE',
      `no helper for '${language}': use ${Object.keys(helperFiles).join(', ')} (Node jobs import runwarden/job)`,
    );
  }
  const path = helperPath(file);
  process.stdout.write(flags.path === true ? `${path}\n` : readFileSync(path, 'utf8'));
  return Promise.resolve(0);
}
