// Builds dist/cli before the suite, so CLI tests run the CLI exactly as users get it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const built = spawnSync(process.execPath, ['shells/cli/build.ts'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building dist/cli failed: ${built.stderr}`);
}
