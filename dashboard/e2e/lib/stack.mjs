// Starts a real AgentTrace stack for the end-to-end tests, the benchmark and
// the screenshots: the collector binary (native receiver → tokencost →
// reasoningchain when built in → SQLite file in a temp dir) on free ports
// given by a temp config file, and the API + dashboard. When the collector
// has the agenttrace_api extension it hosts the API itself; otherwise the
// API runs standalone from dashboard/e2e/_apiserver over the same SQLite file.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const dashboardRoot = resolve(here, '..', '..');
export const repoRoot = resolve(dashboardRoot, '..');
export const builtDashboard = join(dashboardRoot, 'dist', 'app');

/** A free TCP port on loopback (the OS picks it; a tiny race is acceptable). */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Component names the collector binary was built with. */
export function collectorComponents(bin) {
  const out = execFileSync(bin, ['components'], { encoding: 'utf8', timeout: 30_000 });
  const names = { extensions: new Set(), processors: new Set() };
  let section = '';
  for (const line of out.split('\n')) {
    const top = /^(\w+):/.exec(line);
    if (top) section = top[1];
    const name = /^\s+- name: (\S+)/.exec(line);
    if (name && names[section]) names[section].add(name[1]);
  }
  return names;
}

function waitForLine(child, re, what, timeoutMs) {
  return new Promise((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`${what} did not start within ${timeoutMs} ms:\n${buf.slice(-4000)}`)), timeoutMs);
    const onData = (d) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(timer);
        res(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${what} exited with ${code}:\n${buf.slice(-4000)}`));
    });
  });
}

async function waitForHTTP(url, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} not ready at ${url} within ${timeoutMs} ms (${last})`);
}

/**
 * Starts the stack. Options: collectorBin (default $AGENTTRACE_COLLECTOR_BIN
 * or bin/agenttrace-collector), $AGENTTRACE_APISERVER_BIN (else e2e/_apiserver is
 * built when the collector cannot host the API),
 * log (write child output to the console).
 */
export async function startStack(opts = {}) {
  const collectorBin = resolve(opts.collectorBin ?? process.env.AGENTTRACE_COLLECTOR_BIN ?? join(repoRoot, 'bin', 'agenttrace-collector'));
  if (!existsSync(collectorBin)) {
    throw new Error(`collector binary not found at ${collectorBin}; build it with: go build -o bin/agenttrace-collector ./cmd/agenttrace-collector (or set AGENTTRACE_COLLECTOR_BIN)`);
  }
  const comps = collectorComponents(collectorBin);
  const hosted = comps.extensions.has('agenttrace_api');
  const chain = comps.processors.has('reasoningchain');

  const dir = mkdtempSync(join(tmpdir(), 'agenttrace-e2e-'));
  const db = join(dir, 'agenttrace.db');
  const [grpc, http, udp, health, api] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const processors = ['tokencost', ...(chain ? ['reasoningchain'] : [])];
  const extensions = ['healthcheckv2', ...(hosted ? ['agenttrace_api'] : [])];
  const config = `# written by dashboard/e2e/lib/stack.mjs
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${health}
${hosted ? `  agenttrace_api:\n    endpoint: 127.0.0.1:${api}\n    storage: sqlite://${db}\n` : ''}receivers:
  agenttrace:
    grpc:
      endpoint: 127.0.0.1:${grpc}
    http:
      endpoint: 127.0.0.1:${http}
    udp:
      endpoint: 127.0.0.1:${udp}
processors:
  tokencost:
${chain ? '  reasoningchain:\n    completion_window: 500ms\n' : ''}exporters:
  sqlite:
    path: ${db}
service:
  extensions: [${extensions.join(', ')}]
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [agenttrace]
      processors: [${processors.join(', ')}]
      exporters: [sqlite]
`;
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, config);

  const children = [];
  const spawnLogged = (cmd, args, extra = {}) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...extra });
    if (opts.log) {
      child.stdout.on('data', (d) => process.stdout.write(`[${cmd.split('/').pop()}] ${d}`));
      child.stderr.on('data', (d) => process.stderr.write(`[${cmd.split('/').pop()}] ${d}`));
    }
    children.push(child);
    return child;
  };

  const stop = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    }
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    spawnLogged(collectorBin, ['--config', configPath], { cwd: dir });
    await waitForHTTP(`http://127.0.0.1:${http}/health`, 'collector native receiver', 60_000);
    let apiURL = `http://127.0.0.1:${api}`;
    if (!hosted) {
      const dashArg = existsSync(join(builtDashboard, 'index.html')) ? ['-dashboard', builtDashboard] : [];
      const apiArgs = ['-db', db, '-endpoint', `127.0.0.1:${api}`, ...dashArg];
      // Built, not `go run`: signals must reach the server itself.
      const apiBin = process.env.AGENTTRACE_APISERVER_BIN ? resolve(process.env.AGENTTRACE_APISERVER_BIN) : join(dir, 'apiserver');
      if (!process.env.AGENTTRACE_APISERVER_BIN) {
        execFileSync('go', ['build', '-o', apiBin, './dashboard/e2e/_apiserver'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
      }
      const child = spawnLogged(apiBin, apiArgs);
      const m = await waitForLine(child, /listening on (http:\/\/\S+)/, 'standalone API server', 180_000);
      apiURL = m[1];
    }
    await waitForHTTP(`${apiURL}/api/v1/health`, 'API', 60_000);
    const index = await (await fetch(`${apiURL}/`)).text();
    const dashboardBuilt = index.includes('id="root"');
    if (hosted && !dashboardBuilt && opts.requireDashboard !== false) {
      throw new Error(`${collectorBin} embeds the dashboard placeholder, not the dashboard: run \`npm run build\` in dashboard/ (or \`make dashboard\`), then rebuild the collector`);
    }
    if (hosted && dashboardBuilt && existsSync(join(builtDashboard, 'index.html'))) {
      const local = readFileSync(join(builtDashboard, 'index.html'), 'utf8');
      const asset = (html) => /assets\/index-[\w-]+\.js/.exec(html)?.[0];
      if (asset(local) !== asset(index)) {
        process.stderr.write(`warning: ${collectorBin} embeds a different dashboard build than dashboard/dist/app; rebuild the collector to test the current one\n`);
      }
    }
    return { dir, db, apiURL, ingestURL: `http://127.0.0.1:${http}`, hosted, chain, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
