// Load on the event stream, loopback only and bounded: 500 SSE clients (one never reads), a
// server publishing an event every 50 ms; prints delivery latency p50/p99, the server's RSS, how
// many clients were dropped, and GET /api/status requests per second (keep-alive, 3 s).
// Run: npx node bench/sse-load.ts [--clients 500] [--events 100]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};

/** Server mode (a child process): the app on 127.0.0.1, publishing timestamped events on request. */
async function serve(): Promise<void> {
  const { buildApp } = await import('../shells/http/app.ts');
  const ws = join(mkdtempSync(join(tmpdir(), 'rw-sse-bench-')), 'runs');
  const built = buildApp({
    workspace: ws,
    token: null,
    allowedHosts: ['127.0.0.1'],
    limits: { sseClientsMax: 1_000 },
  });
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const address = built.app.server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
  process.stdin.on('data', (d) => {
    const [command, count] = d.toString().trim().split(' ');
    if (command === 'publish') {
      let n = 0;
      const timer = setInterval(() => {
        built.context.events.publish('notice', { bench: n, sentAt: Date.now(), pad: 'x'.repeat(200) });
        if (++n >= Number(count)) clearInterval(timer);
      }, 50);
    } else if (command === 'stats') {
      process.stdout.write(`${JSON.stringify(built.sse)}\n`);
    } else if (command === 'exit') {
      void built.app.close().then(() => process.exit(0));
    }
  });
}

const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
};

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/** Bench mode: spawn the server, connect the clients, measure. */
async function bench(): Promise<void> {
  const clients = arg('--clients', 500);
  const events = arg('--events', 100);
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--server'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => lines.push(...d.trim().split('\n')));
  const nextLine = async () => {
    for (let i = 0; i < 1_000 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const line = lines.shift();
    if (line === undefined) throw new Error('the server did not answer');
    return JSON.parse(line) as Record<string, number>;
  };
  const { port } = await nextLine();
  const pid = child.pid ?? 0;
  const rssIdle = rssMb(pid);
  const latencies: number[] = [];
  const responses: IncomingMessage[] = [];
  const agent = new Agent({ keepAlive: false, maxSockets: clients + 10 });
  await Promise.all(
    Array.from(
      { length: clients },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const req = get(
            { host: '127.0.0.1', port, path: '/api/events', agent, headers: { host: '127.0.0.1' } },
            (res) => {
              responses.push(res);
              if (i === 0) {
                res.pause(); // the client that never reads
                resolve();
                return;
              }
              res.setEncoding('utf8');
              let buffer = '';
              res.on('data', (chunk: string) => {
                buffer += chunk;
                for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
                  const frame = buffer.slice(0, at);
                  buffer = buffer.slice(at + 2);
                  const data = frame.split('\n').find((l) => l.startsWith('data: '));
                  if (frame.includes('event: notice') && data) {
                    const sentAt = (JSON.parse(data.slice(6)) as { sentAt?: number }).sentAt;
                    if (sentAt !== undefined) latencies.push(Date.now() - sentAt);
                  }
                }
              });
              resolve();
            },
          );
          req.on('error', reject);
        }),
    ),
  );
  child.stdin.write(`publish ${events}\n`);
  const expected = (clients - 1) * events;
  for (let i = 0; i < 3_000 && latencies.length < expected; i++) await new Promise((r) => setTimeout(r, 10));
  const rssLoaded = rssMb(pid);
  child.stdin.write('stats\n');
  const stats = await nextLine();
  for (const res of responses) res.destroy();

  const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });
  let done = 0;
  const until = Date.now() + 3_000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (Date.now() < until) {
        await new Promise<void>((resolve, reject) => {
          get(
            {
              host: '127.0.0.1',
              port,
              path: '/api/status',
              agent: keepAlive,
              headers: { host: '127.0.0.1' },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve());
            },
          ).on('error', reject);
        });
        done += 1;
      }
    }),
  );
  keepAlive.destroy();
  child.stdin.write('exit\n');
  latencies.sort((a, b) => a - b);
  console.log(`clients: ${clients} (1 never reading), events: ${events} every 50 ms`);
  console.log(
    `delivered: ${latencies.length}/${expected}; delivery latency p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms`,
  );
  console.log(
    `server RSS: ${rssIdle.toFixed(1)} MB idle, ${rssLoaded.toFixed(1)} MB with ${clients} clients; clients dropped: ${stats.dropped}`,
  );
  console.log(`GET /api/status: ${Math.round(done / 3)} req/s (16 keep-alive connections)`);
}

if (process.argv.includes('--server')) await serve();
else await bench();
