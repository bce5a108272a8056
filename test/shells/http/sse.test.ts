// Proves the event stream over a real loopback socket: a snapshot with its sequence number first,
// then strictly increasing events; Last-Event-ID resumes with no gap and no duplicate; another
// epoch (a restarted server) gets a fresh snapshot; job output cannot forge SSE framing.
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog, eventIdOf, parseEventId } from '../../../shells/http/event-log.ts';
import { frameOf } from '../../../shells/http/sse.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { killJobs, testApp } from './helpers.ts';
import { type Frame, openSse, parseFrames, type SseClient } from './sse-client.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A listening test app and its port. */
async function listening() {
  const built = testApp();
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const address = built.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  cleanups.push(async () => {
    await killJobs(built.ws);
    await built.app.close();
  });
  return { built, port };
}

/** Open a stream closed after the test. */
async function stream(port: number, headers: Record<string, string> = {}, path?: string): Promise<SseClient> {
  const client = await openSse(port, headers, path);
  cleanups.push(() => client.close());
  return client;
}

const seqOf = (f: Frame) => parseEventId(f.id ?? '')?.seq ?? -1;

describe('GET /api/events', () => {
  it('sends a snapshot with its sequence number first, then events with increasing numbers', async () => {
    const { built, port } = await listening();
    const client = await stream(port);
    const snapshot = await client.next((f) => f.event === 'snapshot', 'the snapshot');
    expect(client.frames[0]).toBe(snapshot);
    expect(snapshot.data).toMatchObject({ epoch: built.context.events.epoch, status: expect.any(Object) });
    expect((snapshot.data as { seq: number }).seq).toBe(seqOf(snapshot));
    for (let i = 0; i < 5; i++) built.context.events.publish('notice', { n: i });
    await client.next((f) => (f.data as { n?: number }).n === 4, 'the fifth notice');
    const seqs = client.frames.map(seqOf);
    expect(seqs.slice(1).every((s, i) => s > (seqs[i] ?? 0))).toBe(true);
  });

  it('resumes after Last-Event-ID with exactly the missed events, and no snapshot', async () => {
    const { built, port } = await listening();
    const first = await stream(port);
    built.context.events.publish('notice', { n: 1 });
    const seen = await first.next((f) => (f.data as { n?: number }).n === 1, 'notice 1');
    first.close();
    for (let n = 2; n <= 4; n++) built.context.events.publish('notice', { n });
    const resumed = await stream(port, { 'last-event-id': seen.id ?? '' });
    await resumed.next((f) => (f.data as { n?: number }).n === 4, 'notice 4');
    const notices = resumed.frames
      .filter((f) => f.event === 'notice')
      .map((f) => (f.data as { n: number }).n);
    expect(notices).toEqual([2, 3, 4]);
    expect(resumed.frames.some((f) => f.event === 'snapshot')).toBe(false);
    const bySince = await stream(port, {}, `/api/events?since=${encodeURIComponent(seen.id ?? '')}`);
    await bySince.next((f) => (f.data as { n?: number }).n === 4, 'notice 4 via since');
    expect(bySince.frames.map((f) => (f.data as { n?: number }).n)).toEqual([2, 3, 4]);
  });

  it('sends a fresh snapshot to a client whose id is from another server process or malformed', async () => {
    const { port } = await listening();
    for (const id of [eventIdOf('0badc0ffee00', 3), 'garbage', '']) {
      const client = await stream(port, { 'last-event-id': id });
      await client.next((f) => f.event === 'snapshot', `a snapshot for id '${id}'`);
    }
  });

  it('streams a live run: status, progress and logs, and the ended run frozen, with job output kept inside JSON', async () => {
    const { built, port } = await listening();
    const client = await stream(port);
    await client.next((f) => f.event === 'snapshot', 'the snapshot');
    const evil = 'x\n\nevent: ended\nid: ffff.999999\ndata: {"forged":true}\n\n';
    await built.context.ws.start({
      argv: [process.execPath, '-e', `console.log(${JSON.stringify(evil)}); setTimeout(() => {}, 300)`],
      name: 'evil',
    });
    const ended = await client.next((f) => f.event === 'ended', 'the run to end', 20_000);
    expect(ended.data).toMatchObject({ record: { outcome: 'finished' } });
    expect(client.frames.some((f) => (f.data as { forged?: boolean }).forged === true)).toBe(false);
    expect(client.frames.some((f) => f.event === 'status')).toBe(true);
    // The job's text arrives inside a logs frame's JSON (earlier logs frames may be empty tails).
    const logs = client.frames.filter((f) => f.event === 'logs').map((f) => JSON.stringify(f.data));
    expect(logs.some((data) => data.includes('event: ended'))).toBe(true);
    await waitFor(() => client.frames.some((f) => f.event === 'notice'), {
      timeoutMs: 5_000,
      description: 'a notice',
    });
  });
});

describe('the event framing', () => {
  it('keeps any text inside one data line', () => {
    const frame = frameOf('abc', 7, 'logs', { line: 'a\r\nb\n\ndata: x\rid: 1' });
    expect(frame.split('\n').filter((l) => l !== '')).toHaveLength(3);
    expect(parseFrames(frame).frames).toEqual([
      { id: 'abc.7', event: 'logs', data: { line: 'a\r\nb\n\ndata: x\rid: 1' } },
    ]);
  });

  it('replays only what the ring still holds, else asks for a snapshot', () => {
    const log = new EventLog(3);
    for (let i = 0; i < 5; i++) log.publish('notice', i);
    expect(log.after({ epoch: log.epoch, seq: 3 })?.map((e) => e.seq)).toEqual([4, 5]);
    expect(log.after({ epoch: log.epoch, seq: 5 })).toEqual([]);
    expect(log.after({ epoch: log.epoch, seq: 1 })).toBeNull();
    expect(log.after({ epoch: log.epoch, seq: 9 })).toBeNull();
    expect(log.after({ epoch: 'other', seq: 4 })).toBeNull();
  });
});
