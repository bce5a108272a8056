// Proves normalizeEvent accepts every protocol kind, keeps unknown kinds and extra fields, cuts long
// texts, and refuses bad records with a reason naming the field — by feeding it literal records.
import { describe, expect, it } from 'vitest';
import { messageCharsMax, normalizeEvent, tracebackCharsMax } from '../../../runtime/progress/events.ts';

const t = '2025-01-02T03:04:05.678Z';
const atMs = Date.parse(t);

/** The event of a record that must be valid. */
function valid(record: Record<string, unknown>) {
  const check = normalizeEvent(record);
  if (!check.ok) throw new Error(`expected a valid event, got: ${check.reason}`);
  return check.event;
}

/** The reason a record that must be invalid is refused. */
function reasonOf(record: Record<string, unknown>): string {
  const check = normalizeEvent(record);
  if (check.ok) throw new Error(`expected an invalid event, got ${JSON.stringify(check.event)}`);
  return check.reason;
}

describe('normalizeEvent', () => {
  it('reads each protocol kind with its fields', () => {
    expect(
      valid({ t, kind: 'progress', phase: 'train', percent: 42, step: 420, total: 1000, message: 'hi' }),
    ).toEqual({
      t,
      atMs,
      extra: {},
      kind: 'progress',
      phase: 'train',
      percent: 42,
      step: 420,
      total: 1000,
      message: 'hi',
    });
    expect(valid({ t, kind: 'metric', name: 'loss', value: 0.43, step: 7 })).toEqual({
      t,
      atMs,
      extra: {},
      kind: 'metric',
      name: 'loss',
      value: 0.43,
      step: 7,
    });
    expect(valid({ t, kind: 'checkpoint', path: 'ckpt/a.pt' })).toEqual({
      t,
      atMs,
      extra: {},
      kind: 'checkpoint',
      path: 'ckpt/a.pt',
    });
    expect(valid({ t, kind: 'heartbeat' })).toEqual({ t, atMs, extra: {}, kind: 'heartbeat' });
    expect(valid({ t, kind: 'info', message: 'loading' })).toEqual({
      t,
      atMs,
      extra: {},
      kind: 'info',
      message: 'loading',
    });
    expect(valid({ t, kind: 'error', message: 'boom', traceback: 'Traceback' })).toEqual({
      t,
      atMs,
      extra: {},
      kind: 'error',
      message: 'boom',
      traceback: 'Traceback',
    });
  });

  it('keeps an unknown kind and its fields instead of rejecting it', () => {
    expect(valid({ t, kind: 'gpu', util: 0.93, mem: [1, 2] })).toEqual({
      t,
      atMs,
      kind: 'unknown',
      unknownKind: 'gpu',
      extra: { util: 0.93, mem: [1, 2] },
    });
  });

  it('keeps extra fields of a known kind in extra', () => {
    expect(valid({ t, kind: 'progress', step: 3, gpu_mem_mb: 1234 }).extra).toEqual({ gpu_mem_mb: 1234 });
  });

  it('treats null optional fields as absent and clamps percent to 0..100', () => {
    expect(valid({ t, kind: 'progress', phase: null, percent: 100.0000001 })).toEqual({
      t,
      atMs,
      extra: {},
      kind: 'progress',
      percent: 100,
    });
    expect(valid({ t, kind: 'progress', percent: -3 })).toMatchObject({ percent: 0 });
  });

  it('reads non-finite metric values written as names', () => {
    expect(valid({ t, kind: 'metric', name: 'loss', value: 'NaN' })).toMatchObject({ value: Number.NaN });
    expect(valid({ t, kind: 'metric', name: 'loss', value: '-Infinity' })).toMatchObject({
      value: Number.NEGATIVE_INFINITY,
    });
  });

  it('cuts a long message and keeps the end of a long traceback', () => {
    const message = valid({ t, kind: 'info', message: 'm'.repeat(messageCharsMax * 2) });
    expect(message).toMatchObject({ message: `${'m'.repeat(messageCharsMax - 1)}…` });
    const error = valid({ t, kind: 'error', message: 'x', traceback: `${'a'.repeat(tracebackCharsMax)}END` });
    expect(error.kind === 'error' && error.traceback?.length).toBe(tracebackCharsMax);
    expect(error.kind === 'error' && error.traceback?.endsWith('aEND')).toBe(true);
  });

  it('refuses records without a kind or a readable time, saying which', () => {
    expect(reasonOf({ t })).toMatch(/^kind must be a non-empty string/);
    expect(reasonOf({ t, kind: '' })).toMatch(/^kind must be/);
    expect(reasonOf({ kind: 'heartbeat' })).toBe('heartbeat: t must be an ISO 8601 time string, got nothing');
    expect(reasonOf({ t: 'yesterday', kind: 'heartbeat' })).toMatch(
      /t must be an ISO 8601 time string, got "yesterday"/,
    );
  });

  it('stamps a record without t with the time it was read, when the reader gives one', () => {
    const readAt = { t: '2026-01-01T00:00:00.000Z', atMs: Date.parse('2026-01-01T00:00:00.000Z') };
    const check = normalizeEvent({ kind: 'progress', step: 3 }, readAt);
    expect(check).toMatchObject({
      ok: true,
      event: { kind: 'progress', step: 3, t: readAt.t, atMs: readAt.atMs },
    });
    expect(normalizeEvent({ kind: 'heartbeat', t: null }, readAt)).toMatchObject({ ok: true });
    expect(normalizeEvent({ kind: 'heartbeat', t: 'yesterday' }, readAt)).toMatchObject({ ok: false });
  });

  it('refuses wrong field types, naming the field and the value', () => {
    expect(reasonOf({ t, kind: 'progress', percent: 'half' })).toBe(
      'progress: percent must be a finite number, got "half"',
    );
    expect(reasonOf({ t, kind: 'progress', step: -1 })).toBe(
      'progress: step must be a finite number >= 0, got -1',
    );
    expect(reasonOf({ t, kind: 'metric', name: 'loss' })).toMatch(/value must be a number/);
    expect(reasonOf({ t, kind: 'metric', value: 1 })).toMatch(/name must be a non-empty string/);
    expect(reasonOf({ t, kind: 'checkpoint' })).toMatch(/path must be a non-empty string/);
    expect(reasonOf({ t, kind: 'info' })).toBe('info: message must be a string, got nothing');
    expect(reasonOf({ t, kind: 'error', message: 'x', traceback: 3 })).toMatch(
      /traceback must be a string, got 3/,
    );
  });

  it('does not let a field named __proto__ change the extra object', () => {
    const record = JSON.parse(`{"t":"${t}","kind":"heartbeat","__proto__":{"polluted":true}}`);
    const event = valid(record);
    expect(Object.keys(event.extra)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
