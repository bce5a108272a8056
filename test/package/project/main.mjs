// The user's plain-JS service: start the job, wait for its progress in the status, abort it.
import { openWorkspace } from 'runwarden';
import { reporter } from 'runwarden/job';

const ws = openWorkspace('runs-mjs');
const run = await ws.start({ argv: [process.execPath, 'job.mjs'], graceMs: 1_000 });
let view = await ws.status();
for (let i = 0; i < 200 && view.run?.progress?.step !== 1; i++) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  view = await ws.status();
}
const record = await ws.abort({ force: true });
console.log(
  JSON.stringify({
    id: run.id,
    state: view.state,
    step: view.run?.progress?.step ?? null,
    outcome: record?.outcome,
    reporterEnabled: reporter().enabled,
  }),
);
