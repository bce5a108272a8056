// A long `--json` answer arrives whole through a pipe: the CLI waits for stdout to drain before it
// exits (a pipe is written asynchronously; exiting at once cut `queue --json` of 1,000 entries
// short at 64 KiB). Shown with `list --json` over 1,000 history records (the history fixture).
import { describe, expect, it } from 'vitest';
import { writeHistoryFixture } from '../../helpers/history-fixture.ts';
import { runCli, tempWorkspace } from './run-cli.ts';

describe('--json through a pipe', () => {
  it('prints a JSON answer of hundreds of KiB whole', async () => {
    const ws = tempWorkspace();
    writeHistoryFixture(ws, 1_000);
    const listed = await runCli(ws, ['list', '--json', '--limit', '1000'], { timeoutMs: 120_000 });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.length).toBeGreaterThan(2 * 65_536);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(1_000);
  });
});
