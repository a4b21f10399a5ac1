import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Installs Debian packages by name when `missing` says they are not there yet (the bench runs as root). */
function aptInstall(packages: string[], missing: () => boolean): void {
  if (!missing()) return;
  process.stderr.write(`bench: installing Debian packages ${packages.join(' ')}\n`);
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Finds nginx, installing Debian's package when it is missing. */
function ensureNginx(): string {
  const find = () => ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
  aptInstall(['nginx-light'], () => find() === undefined);
  const found = find();
  if (!found) throw new Error('nginx is required: apt-get install nginx-light');
  return found;
}

/** The echo module (`echo_sleep`) for latency-bound scenarios: Debian's libnginx-mod-http-echo. */
const ECHO_MODULE = '/usr/lib/nginx/modules/ngx_http_echo_module.so';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Nginx {
  readonly base: string;
  /** The HTTPS port, when started with a certificate. */
  readonly httpsPort: number | undefined;
  stop(): void;
}

interface NginxOptions {
  /** Also listen for HTTPS with this certificate and key (PEM files). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Serve `/sleep`, answering after 100 ms (`echo_sleep`, from the echo module). */
  readonly sleep?: boolean;
}

/**
 * nginx on 127.0.0.1, one worker pinned to CPU 0, serving a 1 KiB body at `/1k` with unlimited
 * keep-alive; optionally HTTPS on a second port and a 100 ms `/sleep`.
 */
async function startNginx(options: NginxOptions = {}): Promise<Nginx> {
  const binary = ensureNginx();
  if (options.sleep) aptInstall(['libnginx-mod-http-echo'], () => !existsSync(ECHO_MODULE));
  const dir = mkdtempSync(join(tmpdir(), 'batchfetch-nginx-'));
  const port = await freePort();
  const httpsPort = options.tls ? await freePort() : undefined;
  writeFileSync(join(dir, '1k'), 'x'.repeat(1024));
  writeFileSync(join(dir, 'nginx.conf'), `
${options.sleep ? `load_module ${ECHO_MODULE};` : ''}
daemon off;
worker_processes 1;
worker_cpu_affinity 01;
worker_rlimit_nofile 65536;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  ${options.tls ? `ssl_certificate ${options.tls.cert};\n  ssl_certificate_key ${options.tls.key};\n  ssl_session_cache shared:SSL:10m;` : ''}
  server {
    listen 127.0.0.1:${port} backlog=4096;
    ${httpsPort ? `listen 127.0.0.1:${httpsPort} ssl backlog=4096;` : ''}
    root ${dir};
    location / { default_type text/plain; }
    # Connections accepted so far ("accepts"): benchmarks count each client's connections.
    location = /nginx-status { stub_status; }
    ${options.sleep ? 'location /sleep { default_type text/plain; echo_sleep 0.1; echo ok; }' : ''}
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
    httpsPort,
    stop() {
      process.off('exit', stopChild);
      stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { aptInstall, startNginx };
