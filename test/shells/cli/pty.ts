// Runs `runwarden ARGS…` in a pseudo-terminal (util-linux `script`), as a person at a terminal does.
import { spawn } from 'node:child_process';
import { binPath } from './run-cli.ts';

/** What the terminal received, and the exit code. */
export interface PtyResult {
  readonly code: number | null;
  readonly screen: string;
}

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** Run the CLI with `args` on a pty in workspace `ws`; colour is off unless `colour` is set. */
export function runInPty(
  ws: string,
  args: readonly string[],
  options: { colour?: boolean; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<PtyResult> {
  const command = [process.execPath, binPath, ...args].map(quote).join(' ');
  const env: Record<string, string | undefined> = {
    ...process.env,
    RUNWARDEN_WORKSPACE: ws,
    TERM: 'xterm-256color',
    ...options.env,
  };
  if (options.colour === true) delete env.NO_COLOR;
  else env.NO_COLOR = '1';
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`runwarden ${args.join(' ')} did not end on the pty; screen so far: ${screen.slice(-800)}`),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}
