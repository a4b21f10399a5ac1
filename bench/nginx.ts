import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Finds nginx, installing Debian's package when it is missing (the bench needs root for that). */
function ensureNginx(): string {
  const found = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
  if (found) return found;
  process.stderr.write('bench: nginx not found; installing Debian package nginx-light\n');
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'nginx-light'], { stdio: 'inherit' });
  if (install.status !== 0 || !existsSync('/usr/sbin/nginx')) throw new Error('nginx is required: apt-get install nginx-light');
  return '/usr/sbin/nginx';
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Nginx {
  readonly base: string;
  stop(): void;
}

/** nginx on 127.0.0.1, one worker pinned to CPU 0, serving a 1 KiB body with unlimited keep-alive. */
async function startNginx(): Promise<Nginx> {
  const binary = ensureNginx();
  const dir = mkdtempSync(join(tmpdir(), 'batchfetch-nginx-'));
  const port = await freePort();
  writeFileSync(join(dir, '1k'), 'x'.repeat(1024));
  writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
worker_processes 1;
worker_cpu_affinity 01;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${dir};
    location / { default_type text/plain; }
  }
}
`);
  const child = spawn(binary, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
  // nginx must not outlive the bench, however the bench ends.
  const stopChild = () => child.kill('SIGTERM');
  process.once('exit', stopChild);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopChild();
      process.exit(130);
    });
  }
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const response = await fetch(`${base}/1k`);
      if (response.ok) break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    base,
    stop() {
      process.off('exit', stopChild);
      stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { startNginx };
