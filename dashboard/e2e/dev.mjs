// Starts a stack with demo data and keeps it running (Ctrl-C stops it):
//   AGENTTRACE_COLLECTOR_BIN=../bin/agenttrace-collector node e2e/dev.mjs
// Then `npm run dev` proxies /api to the printed API address (VITE_API_PROXY).
import { startStack } from './lib/stack.mjs';
import { seedDemo } from './lib/seed.mjs';

const stack = await startStack({ log: !!process.env.VERBOSE, keepDir: !!process.env.KEEP });
console.log(`API + dashboard: ${stack.apiURL}\nnative ingest:   ${stack.ingestURL}\nSQLite:          ${stack.db}\nhosted API: ${stack.hosted}, reasoningchain: ${stack.chain}`);
if (!process.env.NO_SEED) {
  const t = Date.now();
  const s = await seedDemo(stack.ingestURL);
  console.log(`seeded ${s.sessions.length} sessions, ${s.traces.length} traces in ${Date.now() - t} ms`);
}
const bye = async () => {
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', bye);
process.on('SIGTERM', bye);
setInterval(() => {}, 1 << 30);
