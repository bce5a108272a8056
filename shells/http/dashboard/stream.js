// The page's side of the shared stream: a SharedWorker when the browser has one, otherwise a
// stream of this tab's own.
import { openStream } from './stream-core.js';

/** Receive stream messages in `onMessage`; returns how the tab is connected. */
export function subscribe(onMessage) {
  if (typeof SharedWorker === 'function') {
    try {
      const worker = new SharedWorker('/stream-worker.js', { type: 'module', name: 'runwarden-stream' });
      worker.port.onmessage = (e) => onMessage(e.data);
      worker.port.start();
      addEventListener('pagehide', () => worker.port.postMessage('bye'));
      return 'shared';
    } catch {
      // fall through to a stream of this tab's own
    }
  }
  openStream(onMessage);
  return 'own';
}
