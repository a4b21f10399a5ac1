import { once } from 'node:events';
import { createServer, type Server } from 'node:net';

/** A TCP server on 127.0.0.1 that writes `reply` (raw bytes, any HTTP or none) to every connection. */
async function rawServer(reply: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end(reply));
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

export { rawServer };
