// The run card (issue 17): where a run came from — code (git), command, machine, allowed
// environment, GPUs, packages — captured at start next to the spawn, each tool bounded, so a
// missing or hung git or nvidia-smi never delays or fails a start. Written to the run directory
// as card.json when the capture ends; the history record keeps it.
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import type { Result } from '../../machine/ports.ts';
import type { RunConfig } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { runTool, type ToolAnswer } from './bounded-tool.ts';
import { type GitFacts, gitFacts } from './git-facts.ts';
import type { Layout } from './layout.ts';

export { diffBytesMax, type GitFacts, untrackedMax, withoutCredentials } from './git-facts.ts';

import { queryNvidiaSmi } from './nvidia-smi.ts';

/** One GPU as nvidia-smi names it. */
export interface GpuFacts {
  readonly name: string;
  readonly uuid: string;
  readonly driver: string;
}

/** A captured tool output (pip freeze, npm ls). */
export interface CapturedOutput {
  readonly command: string;
  readonly output: string;
  readonly truncated: boolean;
}

/** The run card. Every part that could not be captured is null, with the reason in `notes`. */
export interface RunCard {
  readonly capturedAt: number;
  /** How long the capture took (ms). */
  readonly tookMs: number;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly host: string;
  readonly user: string | null;
  readonly runwarden: string;
  readonly node: string;
  /** The allowed environment of the job (names matching the patterns, none secret-looking). */
  readonly env: Readonly<Record<string, string>>;
  /** Names that matched a pattern but look secret, so their values were not recorded. */
  readonly envWithheld: readonly string[];
  /** Null when the cwd is not in a git repository (or git is missing / hung: see notes). */
  readonly git: GitFacts | null;
  /** Null when nvidia-smi is absent or failed; [] when it lists no GPU. */
  readonly gpus: readonly GpuFacts[] | null;
  /** Only with `capture.packages`. */
  readonly packages: { readonly pip: CapturedOutput | null; readonly npm: CapturedOutput | null } | null;
  /** What could not be captured and why (`git did not answer within 2000 ms`). */
  readonly notes: readonly string[];
}

/** Environment name patterns recorded by default. */
export const defaultEnvPatterns: readonly string[] = ['CUDA_*', 'SLURM_*', 'RUNWARDEN_*'];
/** Names that look like secrets are never recorded, whatever pattern matches them. */
export const secretNamePattern =
  /TOKEN|SECRET|KEY|PASSW|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT/i;
const envValueCharsMax = 4096;
const packagesBytesMax = 512 * 1024;
/** Bound of each git / nvidia-smi call (they run concurrently: the whole capture takes about this). */
export const cardToolTimeoutMs = 2_000;
/** pip freeze and npm ls are slower and asked for explicitly. */
export const packagesTimeoutMs = 5_000;

/** Options of a capture (tests shorten the bounds). */
export interface CaptureBounds {
  readonly toolTimeoutMs?: number;
  readonly packagesTimeoutMs?: number;
  /** Aborting ends the capture at once, killing every tool still running. */
  readonly signal?: AbortSignal;
}

/** True when `name` matches the glob `pattern` (`*` matches any run of characters). */
export function nameMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(name);
}

const escapeRegExp = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** The allowed part of `env`: names matching a pattern, secret-looking ones withheld. */
export function allowedEnv(
  env: Readonly<Record<string, string | undefined>>,
  patterns: readonly string[],
): { env: Record<string, string>; withheld: string[] } {
  const out: Record<string, string> = {};
  const withheld: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !patterns.some((p) => nameMatches(p, name))) continue;
    if (secretNamePattern.test(name)) withheld.push(name);
    else out[name] = value.length > envValueCharsMax ? value.slice(0, envValueCharsMax) : value;
  }
  return { env: out, withheld };
}

let versionCache: string | null = null;
/** runwarden's version, from the package.json above this file (source tree or installed package). */
export function runwardenVersion(): string {
  if (versionCache !== null) return versionCache;
  for (const rel of ['../../package.json', '../../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'runwarden' && typeof pkg.version === 'string') {
        versionCache = pkg.version;
        return versionCache;
      }
    } catch {
      // Not there: try the next place.
    }
  }
  versionCache = 'unknown';
  return versionCache;
}

/** The GPUs nvidia-smi lists, or null (absent: no note; failed or hung: a note). */
async function gpuFacts(timeoutMs: number, notes: string[]): Promise<GpuFacts[] | null> {
  const answer = await queryNvidiaSmi('gpu', ['name', 'uuid', 'driver_version'], timeoutMs);
  if (!answer.ok) {
    if (!answer.reason.includes('not found')) notes.push(answer.reason);
    return null;
  }
  return answer.rows.map(([name = '', uuid = '', driver = '']) => ({ name, uuid, driver }));
}

/** `pip freeze` (through the job's Python when the job is one) and `npm ls` of the cwd. */
async function packageFacts(
  config: RunConfig,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  notes: string[],
  signal?: AbortSignal,
) {
  const program = config.argv[0] ?? '';
  const python = /(^|\/)python[0-9.]*$/.test(program) ? program : 'python3';
  const opts = {
    cwd: config.cwd,
    env: { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
    timeoutMs,
    outputBytesMax: packagesBytesMax,
    ...(signal ? { signal } : {}),
  };
  const [pip, npm] = await Promise.all([
    runTool(python, ['-m', 'pip', 'freeze'], opts),
    runTool('npm', ['ls', '--depth=0'], opts),
  ]);
  const captured = (answer: ToolAnswer, command: string): CapturedOutput | null => {
    if (answer.ok) return { command, output: answer.stdout, truncated: answer.truncated };
    notes.push(`${command}: ${answer.reason}`);
    return null;
  };
  return { pip: captured(pip, `${python} -m pip freeze`), npm: captured(npm, 'npm ls --depth=0') };
}

/**
 * Capture the card of a run about to start with `config`. Never rejects; resolves within about
 * the tool bound (packages: their own bound), whatever git and nvidia-smi do.
 */
export async function captureRunCard(
  config: RunConfig,
  callerEnv: NodeJS.ProcessEnv = process.env,
  bounds: CaptureBounds = {},
): Promise<RunCard> {
  const started = Date.now();
  const timeoutMs = bounds.toolTimeoutMs ?? cardToolTimeoutMs;
  const jobEnv: NodeJS.ProcessEnv = { ...callerEnv, ...config.env };
  const notes: string[] = [];
  const gitNotes: string[] = [];
  const gpuNotes: string[] = [];
  const pkgNotes: string[] = [];
  const [git, gpus, packages] = await Promise.all([
    gitFacts(config.cwd, jobEnv, timeoutMs, gitNotes, bounds.signal).catch((e: unknown) => {
      gitNotes.push(`git: ${String(e)}`);
      return null;
    }),
    gpuFacts(timeoutMs, gpuNotes),
    config.capture?.packages === true
      ? packageFacts(config, jobEnv, bounds.packagesTimeoutMs ?? packagesTimeoutMs, pkgNotes, bounds.signal)
      : Promise.resolve(null),
  ]);
  notes.push(...gitNotes, ...gpuNotes, ...pkgNotes);
  // RUNWARDEN_CARD_ENV (comma-separated patterns) adds names for every run of a user or a CI job.
  const userPatterns = (callerEnv.RUNWARDEN_CARD_ENV ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => /^[A-Za-z0-9_*]{1,64}$/.test(p));
  const { env, withheld } = allowedEnv(jobEnv, [
    ...defaultEnvPatterns,
    ...userPatterns,
    ...(config.capture?.env ?? []),
  ]);
  let user: string | null = null;
  try {
    user = userInfo().username;
  } catch {
    user = callerEnv.USER ?? null;
  }
  return {
    capturedAt: started,
    tookMs: Date.now() - started,
    argv: [...config.argv],
    cwd: config.cwd,
    host: hostname(),
    user,
    runwarden: runwardenVersion(),
    node: process.version,
    env,
    envWithheld: withheld,
    git,
    gpus,
    packages,
    notes,
  };
}

/** Write the card into the run's directory (atomic). RW_WRITE_FAILED when the directory is gone. */
export function writeRunCard(layout: Layout, runId: string, card: RunCard): Result<null> {
  return writeFileAtomic(layout.root, layout.runFile(runId, 'card'), `${JSON.stringify(card)}\n`, {
    mode: 0o600,
  });
}

const isCard = (v: unknown): v is RunCard =>
  typeof v === 'object' && v !== null && 'capturedAt' in v && 'argv' in v && Array.isArray(v.argv);

/** The card in a run's directory, or null (not written yet, gone, unreadable). */
export function readRunCard(layout: Layout, runId: string): RunCard | null {
  const read = readJsonFile(layout.root, layout.runFile(runId, 'card'), isCard);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}
