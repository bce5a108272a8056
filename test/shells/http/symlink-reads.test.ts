// A job that replaces its own stdout.log and stderr.log with links to a file outside the
// workspace never gets that file served: not in run detail, the logs route, the SSE live logs,
// the ended frame, the history record or the history list. (Reading the link plainly does give
// the secret: that is what every reader here must refuse.)
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { call, codeOf, killJobs, testApp } from './helpers.ts';
import { openSse, type SseClient } from './sse-client.ts';

const secret = 'TOP-SECRET-a7f3c9';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A job that prints, links both logs to `target`, marks that it did, and holds for `holdMs`. */
function linkingJob(target: string, holdMs: number): string[] {
  const script = `
    const fs = require('fs'); const d = process.env.RUNWARDEN_RUN_DIR;
    console.log('before-link'); console.error('before-link-err');
    setTimeout(() => {
      for (const f of ['stdout.log', 'stderr.log']) { fs.unlinkSync(d + '/' + f); fs.symlinkSync(${JSON.stringify(target)}, d + '/' + f); }
      fs.writeFileSync(d + '/linked', '');
      setTimeout(() => {}, ${holdMs});
    }, 200);`;
  return [process.execPath, '-e', script];
}

describe('a job that links its logs to a file outside the workspace', () => {
  it('never gets that file served: run detail, logs, SSE live logs, ended frame, history', async () => {
    const built = testApp();
    cleanups.push(() => built.app.close());
    cleanups.push(() => killJobs(built.ws));
    await built.app.listen({ host: '127.0.0.1', port: 0 });
    const address = built.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const outside = join(mkdtempSync(join(tmpdir(), 'rw-outside-')), 'shadow');
    // A shadow line, and a tqdm-shaped one the progress parser would turn into a message.
    writeFileSync(
      outside,
      `${secret}\nroot:$6$hash:19000:0:99999:7:::\n${secret}:  50%|#####     | 5/10 [00:01<00:01,  4.50it/s]\n`,
    );
    const sse: SseClient = await openSse(port);
    cleanups.push(() => sse.close());
    await sse.next((f) => f.event === 'snapshot', 'the snapshot');

    const started = await built.context.ws.start({ argv: linkingJob(outside, 1_500), name: 'linker' });
    const dir = started.dir;
    await waitFor(() => existsSync(join(dir, 'linked')), {
      timeoutMs: 20_000,
      description: 'the job to link its logs',
    });
    // The control: a reader that follows links gets the secret from the run's own log path.
    expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toContain(secret);

    // While it runs: the live watch has looked at the linked files (sizes changed) before this.
    await waitFor(
      async () => {
        const res = await call(built, { method: 'GET', url: `/api/runs/${started.id}` });
        return res.statusCode === 200 && res.json().active === true ? res : null;
      },
      { timeoutMs: 10_000, description: 'the active run detail' },
    );
    for (const stream of ['stdout', 'stderr']) {
      const logs = await call(built, { method: 'GET', url: `/api/runs/${started.id}/logs?stream=${stream}` });
      expect([stream, logs.statusCode, codeOf(logs)]).toEqual([stream, 403, 'RW_PATH_ESCAPE']);
      const range = await call(built, {
        method: 'GET',
        url: `/api/runs/${started.id}/logs?stream=${stream}&from=0`,
      });
      expect([stream, range.statusCode, codeOf(range)]).toEqual([stream, 403, 'RW_PATH_ESCAPE']);
    }

    const ended = await sse.next((f) => f.event === 'ended', 'the ended frame', 30_000);
    expect(ended.data).toMatchObject({ record: { runId: started.id } });
    const everything: string[] = [JSON.stringify(sse.frames)];
    for (const url of [
      `/api/runs/${started.id}`,
      '/api/runs',
      '/api/status',
      `/api/runs/${started.id}/journal`,
    ]) {
      const res = await call(built, { method: 'GET', url });
      expect([url, res.statusCode]).toEqual([url, 200]);
      everything.push(res.body);
    }
    const record = readFileSync(join(built.ws, 'history', `${started.id}.json`), 'utf8');
    everything.push(record);
    // What the job printed before the link did arrive (the readers work), the secret never.
    expect(everything.join('\n')).toContain('before-link');
    for (const text of everything) expect(text).not.toContain(secret);
    expect(everything.join('\n')).not.toContain('root:$6$');
  });
});
