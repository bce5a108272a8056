// One connection to /api/events and the state it builds: a snapshot, then events applied in
// sequence order only (an event at or below the sequence held is ignored, so an older state
// never replaces a newer one). Reconnects with the last id (Last-Event-ID or ?since=).

/** Parse an event id `epoch.seq`. */
function parseId(id) {
  const m = /^([0-9a-f]+)\.(\d+)$/.exec(id || '');
  return m ? { epoch: m[1], seq: Number(m[2]) } : null;
}

/** Fold one event into the state; returns the new state, or null when it is stale. */
export function applyEvent(state, type, id, data) {
  const pos = parseId(id);
  if (pos === null) return null;
  if (type === 'snapshot') {
    if (state !== null && state.epoch === pos.epoch && pos.seq < state.seq) return null;
    return { ...data, epoch: pos.epoch, seq: pos.seq, offsetMs: data.serverNow - Date.now() };
  }
  if (state === null || state.epoch !== pos.epoch || pos.seq <= state.seq) return null;
  const next = { ...state, seq: pos.seq };
  if (type === 'status') {
    next.status = data.status;
    if (typeof data.machineState === 'string') next.machineState = data.machineState;
    next.offsetMs = data.serverNow - Date.now();
  } else if (type === 'progress') next.progress = data;
  else if (type === 'logs') next.logs = data;
  // Issue 12 (many runs): the queue, and the slots with every active run.
  else if (type === 'queue') next.queueView = data;
  else if (type === 'slots') {
    next.slots = data.slots;
    next.runs = data.runs;
    next.queue = data.queue;
  } else if (type === 'ended') {
    next.lastEnded = data;
    if (next.progress && next.progress.runId === data.record.runId) next.progress = null;
    if (next.logs && next.logs.runId === data.record.runId) next.logs = null;
  }
  return next;
}

/**
 * Open the stream; `emit(message)` receives {kind:'state', state, event} after each applied
 * event and {kind:'connection', up} on connection changes. Returns a function that closes it.
 */
export function openStream(emit) {
  let state = null;
  let source = null;
  let retryMs = 1000;
  let timer = null;
  const types = ['snapshot', 'status', 'progress', 'logs', 'ended', 'notice', 'queue', 'slots'];
  const connect = () => {
    const since = state === null ? '' : `?since=${state.epoch}.${state.seq}`;
    source = new EventSource(`/api/events${since}`);
    source.onopen = () => {
      retryMs = 1000;
      emit({ kind: 'connection', up: true });
    };
    source.onerror = () => {
      emit({ kind: 'connection', up: false });
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        timer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10000);
      }
    };
    for (const type of types) {
      source.addEventListener(type, (e) => {
        const data = JSON.parse(e.data);
        if (type === 'notice') {
          const pos = parseId(e.lastEventId);
          if (state !== null && pos !== null && pos.epoch === state.epoch && pos.seq <= state.seq) return;
          if (state !== null && pos !== null && pos.epoch === state.epoch) state = { ...state, seq: pos.seq };
          emit({ kind: 'notice', notice: data, state });
          return;
        }
        const next = applyEvent(state, type, e.lastEventId, data);
        if (next === null) return;
        state = next;
        emit({ kind: 'state', state, event: type });
      });
    }
  };
  connect();
  return {
    current: () => state,
    close: () => {
      clearTimeout(timer);
      if (source) source.close();
    },
  };
}
