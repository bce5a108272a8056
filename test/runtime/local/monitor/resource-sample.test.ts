// Proves the monitor samples its job (issue 17): with RUN_DIR/sample-every-ms it appends sys/cpu,
// sys/rss, sys/threads, sys/procs, sys/read_bytes and sys/write_bytes metric events for the job's
// processes (children included) to resources.ndjson; without it, nothing — real python jobs.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourcesFile, writeSampleEvery } from '../../../../runtime/local/resource-files.ts';
import { launchTracked, useRunSandbox, waitForExitRecord } from './run-setup.ts';

const sandbox = useRunSandbox();

// Busy for ~1.5 s with 150 MB resident, and one child process alive meanwhile.
const busyJob = [
  'python3',
  '-c',
  `import subprocess, time
child = subprocess.Popen(['sleep', '30'])
hold = bytearray(150 * 1024 * 1024)
for i in range(0, len(hold), 4096): hold[i] = 1
t = time.time()
while time.time() - t < 1.5: pass
child.kill()
`,
];

type Sample = { name: string; value: number; t: string; kind: string };

function samplesOf(runDir: string): Sample[] {
  const file = path.join(runDir, resourcesFile);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Sample);
}

describe('rw-monitor resource sampling', () => {
  it("samples the job's CPU, memory, threads and processes while it runs", async () => {
    const { runDir, tracker } = sandbox.current();
    expect(writeSampleEvery(runDir, runDir, 200).ok).toBe(true);
    const job = await launchTracked(tracker, runDir, busyJob);
    expect((await job.release()).ok).toBe(true);
    expect(await waitForExitRecord(runDir)).toMatchObject({ code: 0 });
    const samples = samplesOf(runDir);
    const max = (name: string) => Math.max(...samples.filter((s) => s.name === name).map((s) => s.value));
    expect(samples.every((s) => s.kind === 'metric' && !Number.isNaN(Date.parse(s.t)))).toBe(true);
    expect(max('sys/rss')).toBeGreaterThan(150 * 1024 * 1024);
    // A busy loop gets some CPU however loaded the machine (how much is the bench's business).
    expect(max('sys/cpu')).toBeGreaterThan(0);
    expect(max('sys/procs')).toBeGreaterThanOrEqual(2); // python and its sleep child
    expect(max('sys/threads')).toBeGreaterThanOrEqual(2);
    const names = new Set(samples.map((s) => s.name));
    expect([...names].sort()).toEqual(
      ['sys/cpu', 'sys/procs', 'sys/read_bytes', 'sys/rss', 'sys/threads', 'sys/write_bytes'].sort(),
    );
  });

  it('samples nothing without sample-every-ms', async () => {
    const { runDir, tracker } = sandbox.current();
    const job = await launchTracked(tracker, runDir, ['python3', '-c', 'import time; time.sleep(0.5)']);
    expect((await job.release()).ok).toBe(true);
    await waitForExitRecord(runDir);
    expect(fs.existsSync(path.join(runDir, resourcesFile))).toBe(false);
  });
});
