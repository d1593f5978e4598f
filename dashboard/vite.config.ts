/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to VITE_API_PROXY (default: the local
// collector's API on 127.0.0.1:8080), WebSocket included.
const apiTarget = process.env.VITE_API_PROXY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    // The Go package embeds dist/ (see embed.go): the app goes to dist/app,
    // beside the committed placeholder.
    outDir: 'dist/app',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: false },
      '/health': { target: apiTarget },
    },
  },
  test: {
    environment: 'happy-dom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    pool: 'threads',
    maxWorkers: 2,
    // A busy 2-core CI machine renders the lazy pages slowly; a test waits
    // for content, it does not time it.
    testTimeout: 30000,
  },
});
