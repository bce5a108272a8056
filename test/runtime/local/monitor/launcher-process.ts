// Test support, run as its own Node process: launches a job under the monitor, releases it, prints
// `{"pid":…,"monitorPid":…}` on stdout, and then stays alive until the test SIGKILLs it.
// Usage: node launcher-process.ts RUN_DIR -- PROG [ARGS...]
import path from 'node:path';
import { launchMonitored } from '../../../../runtime/local/monitor/launch.ts';

const runDir = process.argv[2] ?? '';
const argv = process.argv.slice(process.argv.indexOf('--') + 1);
const launched = await launchMonitored({
  runDir,
  argv,
  cwd: runDir,
  env: {},
  stdoutPath: path.join(runDir, 'out.log'),
  stderrPath: path.join(runDir, 'err.log'),
  startTimeoutMs: 20_000,
});
if (!launched.ok) {
  process.stderr.write(`${launched.error.code}: ${launched.error.message}\n`);
  process.exit(1);
}
const released = await launched.value.release();
if (!released.ok) {
  process.stderr.write(`${released.error.code}: ${released.error.message}\n`);
  process.exit(1);
}
process.stdout.write(
  `${JSON.stringify({ pid: launched.value.pid, monitorPid: launched.value.monitorPid })}\n`,
);
// Stay alive (bounded) like a supervisor would, until the test kills us.
setTimeout(() => process.exit(0), 60_000);
