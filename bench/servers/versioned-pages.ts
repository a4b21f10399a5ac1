// A loopback page server for `npm run bench:refetch`, run as its own process (so its CPU is not
// the client's): `node versioned-pages.ts PAGES BODY_BYTES`, prints its port. /p/N answers a page
// of BODY_BYTES with an ETag and a Last-Modified from the page's version, and honours
// If-None-Match / If-Modified-Since with 304 (RFC 9110 §13.1). POST /mutate?changed=C&broken=B
// gives C % of the pages a new version and makes B % answer 500; GET /stats reports the bytes
// written to sockets (headers and bodies) since the last POST /reset-stats.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const pages = Number(process.argv[2] ?? 100_000);
const bodyBytes = Number(process.argv[3] ?? 4096);
const versions = new Uint16Array(pages).fill(1);
const broken = new Uint8Array(pages);
const bodies = new Map<number, Buffer>();
const bodyOf = (version: number) => {
  let body = bodies.get(version);
  if (!body) {
    body = Buffer.alloc(bodyBytes, `<p>version ${version}</p>\n`);
    bodies.set(version, body);
  }
  return body;
};

let socketBytes = 0;
const sockets = new Set<Socket>();
const server: Server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'POST' && url.startsWith('/mutate')) {
    const query = new URL(url, 'http://x').searchParams;
    const changed = Number(query.get('changed') ?? 0);
    const failing = Number(query.get('broken') ?? 0);
    for (let i = 0; i < pages; i++) {
      if (i % 100 < changed) versions[i]! += 1;
      else if (i % 100 >= 100 - failing) broken[i] = 1;
    }
    res.end('ok');
    return;
  }
  if (url === '/stats') {
    let live = 0;
    for (const socket of sockets as Set<Socket & { baseline?: number }>) live += socket.bytesWritten - (socket.baseline ?? 0);
    res.end(JSON.stringify({ socketBytes: socketBytes + live }));
    return;
  }
  if (req.method === 'POST' && url === '/reset-stats') {
    socketBytes = 0;
    for (const socket of sockets) (socket as Socket & { baseline?: number }).baseline = socket.bytesWritten;
    res.end('ok');
    return;
  }
  const n = Number(url.slice(3));
  if (!url.startsWith('/p/') || !Number.isInteger(n) || n < 0 || n >= pages) {
    res.writeHead(404).end();
    return;
  }
  if (broken[n]) {
    res.writeHead(500).end('broken');
    return;
  }
  const version = versions[n]!;
  const etag = `"${n}-v${version}"`;
  const lastModified = new Date(Date.UTC(2026, 0, version)).toUTCString();
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag, 'last-modified': lastModified }).end();
    return;
  }
  const body = bodyOf(version);
  res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(body.length), etag, 'last-modified': lastModified }).end(body);
});
server.keepAliveTimeout = 60_000;
server.on('connection', (socket: Socket & { baseline?: number }) => {
  sockets.add(socket);
  socket.on('close', () => {
    socketBytes += socket.bytesWritten - (socket.baseline ?? 0);
    sockets.delete(socket);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
