// Proves the pure pieces of the shared views: argv cut with a marker, the command suggestion,
// docker-style --env, PYTHONUNBUFFERED by default, and how much a recovery note matters.
import { describe, expect, it } from 'vitest';
import { noteLevel } from '../../../shells/api/recovery-level.ts';
import { defaultJobEnv } from '../../../shells/api/run-config.ts';
import { argvCharsMax, cutArgv } from '../../../shells/api/status-view.ts';
import { envOf } from '../../../shells/cli/commands/start.ts';
import { suggestCommand } from '../../../shells/cli/suggest.ts';

describe('cutArgv', () => {
  it('keeps a short argv whole and cuts a 1.9 MB one to its bound with a marker', () => {
    expect(cutArgv(['python', 'train.py'])).toEqual({ argv: ['python', 'train.py'], chars: 14, cut: false });
    const big = 'x'.repeat(1_900_000);
    const cut = cutArgv(['python', big, 'tail']);
    expect(cut.cut).toBe(true);
    expect(cut.chars).toBe(1_900_010);
    expect(cut.argv).toHaveLength(2);
    expect(cut.argv.join('').length).toBeLessThan(argvCharsMax + 40);
    expect(cut.argv[1]).toMatch(/…\[1898010 more characters\]$/);
  });
});

describe('suggestCommand', () => {
  const commands = [
    'start',
    'status',
    'watch',
    'abort',
    'logs',
    'list',
    'show',
    'inspect',
    'helper',
    'serve',
  ];
  it('prefers the command the word begins, then the nearest', () => {
    expect(suggestCommand('stat', commands)).toBe('status');
    expect(suggestCommand('strat', commands)).toBe('start');
    expect(suggestCommand('wathc', commands)).toBe('watch');
    expect(suggestCommand('zzzzzz', commands)).toBeNull();
  });
});

describe('envOf', () => {
  it('reads KEY=VALUE, passes a bare KEY on from the caller, refuses an unset or bad one', () => {
    expect(envOf(['A=1', 'B=x=y', 'HOME2'], { HOME2: '/h' })).toEqual({ A: '1', B: 'x=y', HOME2: '/h' });
    expect(() => envOf(['NOPE'], {})).toThrow(/NOPE is not set/);
    expect(() => envOf(['=v'], {})).toThrow(/expected KEY=VALUE/);
  });
});

describe('defaultJobEnv', () => {
  it('adds PYTHONUNBUFFERED=1 unless the job env or the caller sets it', () => {
    expect(defaultJobEnv({}, {})).toEqual({ PYTHONUNBUFFERED: '1' });
    expect(defaultJobEnv({ PYTHONUNBUFFERED: '0' }, {})).toEqual({ PYTHONUNBUFFERED: '0' });
    expect(defaultJobEnv({}, { PYTHONUNBUFFERED: '' })).toEqual({});
  });
});

describe('noteLevel', () => {
  it('is quiet for a clean unwatched end, news for other unwatched ends and handed-over aborts', () => {
    expect(noteLevel({ kind: 'ended-unwatched', runId: 'r', reason: 'finished (code 0)' })).toBe('quiet');
    expect(noteLevel({ kind: 'ended-unwatched', runId: 'r', reason: 'failed (code 3)' })).toBe('info');
    expect(noteLevel({ kind: 'abort-resumed', runId: 'r', reason: '100 ms of grace left' })).toBe('info');
    expect(noteLevel({ kind: 'orphaned', runId: 'r', reason: 'process-gone' })).toBe('warning');
  });
});
