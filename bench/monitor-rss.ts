// Prints the resident memory (VmRSS, VmHWM, RssAnon) of rw-monitor while it supervises a job, static and dynamic.
// Run with `npx node bench/monitor-rss.ts`. A figure to read, not a pass/fail test (target: ≤ 2 MB).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMonitorBinary } from '../runtime/local/monitor/build.ts';

const SOURCE = fileURLToPath(new URL('../runtime/local/monitor/rw-monitor.c', import.meta.url));
const WAIT_MS = 10_000;

// Read "VmRSS" and "VmHWM" (kB) from /proc/PID/status.
function memoryOf(pid: number): string {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): string =>
    /^\S+:\s+(.*)$/.exec(status.split('\n').find((l) => l.startsWith(name)) ?? '')?.[1] ?? '?';
  return `VmRSS ${field('VmRSS:')}, VmHWM ${field('VmHWM:')}, RssAnon ${field('RssAnon:')}`;
}

// "dynamic" when the 64-bit ELF has a PT_INTERP program header (it names a loader), else "static".
function linkingOf(binary: string): string {
  const elf = fs.readFileSync(binary);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const [entryBytes, entries] = [elf.readUInt16LE(0x36), elf.readUInt16LE(0x38)];
  for (let i = 0; i < entries; i++) {
    if (elf.readUInt32LE(phoff + i * entryBytes) === 3) return 'dynamic';
  }
  return 'static';
}

// Wait (bounded) until `text()` contains `needle`.
async function until(text: () => string, needle: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!text().includes(needle)) {
    if (Date.now() > deadline) throw new Error(`bench: no '${needle}' from the monitor within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Run `binary` over `sleep 30`, release it, measure the monitor, then end the job and the monitor.
async function measure(label: string, binary: string): Promise<void> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-monitor-bench-'));
  const child = spawn(binary, [runDir, '--', 'sleep', '30'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  });
  const [report, go] = [child.stdio[3], child.stdio[4]];
  if (!(report instanceof net.Socket) || !(go instanceof net.Socket) || child.pid === undefined) {
    throw new Error('bench: the monitor did not start');
  }
  let lines = '';
  report.setEncoding('utf8');
  report.on('data', (chunk: string) => {
    lines += chunk;
  });
  await until(() => lines, 'pid ');
  go.end('G');
  await until(() => lines, 'exec ok');
  console.log(
    `${label.padEnd(8)} ${memoryOf(child.pid)}  (${linkingOf(binary)}, ${fs.statSync(binary).size} bytes)`,
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGUSR2'); // the monitor kills the job's group, records, exits
  await exited;
  console.log(`         exit record: ${fs.readFileSync(path.join(runDir, 'exit.json'), 'utf8').trim()}`);
  fs.rmSync(runDir, { recursive: true, force: true });
}

const built = await ensureMonitorBinary();
if (!built.ok) throw new Error(`${built.error.code}: ${built.error.message}`);
await measure('default', built.value);
const dynamic = path.join(
  fs.mkdtempSync(path.join(os.tmpdir(), 'rw-monitor-bench-bin-')),
  'rw-monitor-dynamic',
);
execFileSync('cc', ['-std=c99', '-O2', '-s', '-o', dynamic, SOURCE]);
await measure('dynamic', dynamic);
fs.rmSync(path.dirname(dynamic), { recursive: true, force: true });
