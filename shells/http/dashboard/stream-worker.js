// SharedWorker: one event stream for every tab of this origin (browsers allow six HTTP/1.1
// connections per host; eight tabs each with a stream would starve). Each tab gets the current
// state when it connects, then every update and every notice.
import { openStream } from './stream-core.js';

const ports = new Set();
let up = false;
const broadcast = (message) => {
  if (message.kind === 'connection') up = message.up;
  for (const port of ports) port.postMessage(message);
};
const stream = openStream(broadcast);

self.onconnect = (event) => {
  const port = event.ports[0];
  ports.add(port);
  port.onmessage = (e) => {
    if (e.data === 'bye') ports.delete(port);
  };
  port.start();
  port.postMessage({ kind: 'connection', up });
  const state = stream.current();
  if (state !== null) port.postMessage({ kind: 'state', state, event: 'snapshot' });
};
