// The user's job: reports one progress step through runwarden/job, then waits to be aborted.
import { reporter } from 'runwarden/job';

const report = reporter();
report.progress({ phase: 'train', step: 1, total: 10 });
setTimeout(() => {}, 120_000);
