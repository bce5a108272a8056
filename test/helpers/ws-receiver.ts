// A WebSocket receiver for tests (loopback only, a free port): keeps every text message it
// gets, so inspection forwarding can be checked. Built on the `ws` server.
import { WebSocketServer } from 'ws';

export interface WsReceiver {
  readonly url: string;
  readonly messages: string[];
  close(): Promise<void>;
}

/** Start a receiver on 127.0.0.1. */
export function startWsReceiver(): Promise<WsReceiver> {
  const messages: string[] = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    socket.on('message', (data) => messages.push(String(data)));
  });
  return new Promise((resolve) => {
    server.on('listening', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        url: `ws://127.0.0.1:${port}`,
        messages,
        close: () =>
          new Promise((done) => {
            for (const client of server.clients) client.terminate();
            server.close(() => done());
          }),
      });
    });
  });
}
