// Issue 12 figure: time from one run's exit to the first instruction of the next queued job, with
// no runwarden process alive (only the first job's monitor, whose kick runs `runwarden dispatch`).
// Each round: run A waits on a gate, run B (`date +%s%N > file`, its first instruction) is queued
// behind it; this process then holds no session (the library is idle) and opens the gate. The
// exit is the monitor's own record (exit.json endedAt, taken when it reaped A).
// Run: npm run build && npx node bench/queue-kick.ts [--rounds N]   (the kick runs dist/cli)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkspace } from '../shells/api/index.ts';
import { waitFor } from '../test/helpers/wait-for.ts';

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 21;
const base = mkdtempSync(join(tmpdir(), 'rw-bench-kick-'));
const ws = openWorkspace(join(base, 'ws'));
const samples: number[] = [];
for (let i = 0; i < rounds; i++) {
  const gate = join(base, `gate-${i}`);
  const started = join(base, `b-${i}`);
  const a = await ws.submit({
    argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.005; done`],
    name: 'a',
  });
  if (a.state !== 'started') throw new Error(`round ${i}: run a did not start (${a.state})`);
  const b = await ws.submit({
    argv: ['sh', '-c', `date +%s%N > ${started}.tmp && mv ${started}.tmp ${started}`],
    name: 'b',
  });
  if (b.state !== 'queued') throw new Error(`round ${i}: run b was not queued (${b.state})`);
  writeFileSync(gate, '');
  await waitFor(() => existsSync(started), {
    timeoutMs: 60_000,
    intervalMs: 5,
    description: `b of round ${i}`,
  });
  const firstInstructionMs = Number(BigInt(readFileSync(started, 'utf8').trim()) / 1_000n) / 1000;
  const exit = JSON.parse(readFileSync(join(ws.dir, a.id, 'exit.json'), 'utf8')) as { endedAt: number };
  samples.push(firstInstructionMs - exit.endedAt);
  // b ends with an empty queue (no kick): record it before the next round.
  await waitFor(async () => (await ws.status()).runs.length === 0, {
    timeoutMs: 60_000,
    description: 'b to end',
  });
}
const sorted = [...samples].sort((x, y) => x - y);
const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
console.log(`exit -> next queued job's first instruction, no runwarden process alive (${rounds} rounds):`);
console.log(
  `  median ${pick(0.5).toFixed(1)} ms, p10 ${pick(0.1).toFixed(1)} ms, p90 ${pick(0.9).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
);
rmSync(base, { recursive: true, force: true });
