// Proves --inspect forwarding: a CLI started with --inspect ws://… sends the machine's inspection
// events (in @statelyai/inspect's format) to a WebSocket receiver, and an unreachable inspector
// leaves the run and the CLI unaffected: same outcome, prompt exit.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { startWsReceiver, type WsReceiver } from '../../helpers/ws-receiver.ts';
import { runCli, tempWorkspace, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();
let receiver: WsReceiver | null = null;

afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

describe('runwarden --inspect', () => {
  it('forwards the lifecycle of a run to a WebSocket inspector', async () => {
    receiver = await startWsReceiver();
    const ws = workspace();
    const result = await runCli(ws, [
      '--inspect',
      receiver.url,
      'start',
      '--watch',
      '--',
      'sh',
      '-c',
      'sleep 0.3; exit 0',
    ]);
    expect(result.code).toBe(0);
    const got = receiver;
    await waitFor(() => got.messages.length > 0, { timeoutMs: 5_000, description: 'inspection messages' });
    const events = got.messages.map((m) => JSON.parse(m) as { type: string; event?: { type: string } });
    expect(events.some((e) => e.type === '@xstate.actor')).toBe(true);
    const machineEvents = events.filter((e) => e.type === '@xstate.event').map((e) => e.event?.type);
    expect(machineEvents).toContain('run.start');
    expect(machineEvents).toContain('process.exited');
  });

  it('leaves the run and the CLI unaffected when the inspector cannot be reached', async () => {
    const ws = workspace();
    const t0 = Date.now();
    const result = await runCli(
      ws,
      ['--inspect', 'ws://127.0.0.1:1', 'start', '--watch', '--', 'sh', '-c', 'exit 4'],
      {
        timeoutMs: 20_000,
      },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toBe('');
    // No reconnect loop may keep the process alive: it ends as soon as the run does.
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect((await runCli(ws, ['--inspect', 'ws://127.0.0.1:1', 'status'])).code).toBe(0);
  });

  it('refuses an inspector URL that is not ws:// or wss:// as a usage error', async () => {
    const result = await runCli(tempWorkspace(), ['--inspect', 'http://x', 'status']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('it must start with ws:// or wss://');
  });
});
