// Builds dist/cli and dist/lib before the suite, so CLI tests run the CLI exactly as users get it
// and the packaging test packs what `npm pack` would ship.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../', import.meta.url));
  for (const script of ['shells/cli/build.ts', 'shells/build.ts']) {
    const built = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`node ${script} failed: ${built.stderr}${built.stdout}`);
  }
}
