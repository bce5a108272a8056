// A runwarden library user in its own process, for the queue tests (real processes): claims an
// entry (and optionally holds on until SIGKILLed), dispatches, or submits and exits at once.
//   queue-child.ts claim <ws> <runId> [hold]   prints "won <name>" or "gone"
//   queue-child.ts dispatch <ws>              prints the dispatch report as JSON
//   queue-child.ts submit <ws> <json options> prints the submitted run as JSON (kick on)

import { layoutOf } from '../../../runtime/local/layout.ts';
import { selfIdentity } from '../../../runtime/local/owner.ts';
import { claimEntry } from '../../../runtime/local/queue-store.ts';
import { openWorkspace } from '../../../shells/api/index.ts';

const [command, ws, arg, extra] = process.argv.slice(2);
if (ws === undefined) throw new Error('usage: queue-child.ts claim|dispatch|submit <ws> ...');
if (command === 'claim') {
  const claimed = claimEntry(layoutOf(ws), arg ?? '', selfIdentity());
  if (!claimed.ok) throw new Error(claimed.error.message);
  process.stdout.write(claimed.value === 'gone' ? 'gone\n' : `won ${claimed.value.name}\n`);
  if (extra === 'hold' && claimed.value !== 'gone') setInterval(() => {}, 60_000);
} else if (command === 'dispatch') {
  // RW_FAILPOINT (runtime/local/failpoint.ts) may make this process SIGKILL itself mid-way.
  process.stdout.write(`${JSON.stringify(await openWorkspace(ws, { kick: false }).dispatch())}\n`);
} else if (command === 'submit') {
  const options = JSON.parse(arg ?? '{}');
  process.stdout.write(`${JSON.stringify(await openWorkspace(ws).submit(options))}\n`);
} else {
  throw new Error(`unknown command ${command}`);
}
