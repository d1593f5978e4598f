import { useEffect, useRef, useState } from 'react';
import { liveURL, type QueryParams } from './client';
import type { LiveMessage, Span } from './types';

export interface LiveEntry {
  key: string;
  span: Span;
  /** When the newest version arrived (ms). */
  receivedAt: number;
  /** A running span that was replaced by its final version. */
  finished: boolean;
}

export const LIVE_MAX = 500;

export function liveKey(s: Pick<Span, 'trace_id' | 'span_id'>): string {
  return `${s.trace_id}/${s.span_id}`;
}

/**
 * Merges new span versions into the feed (newest first). A span already in
 * the feed (a running span-start event) is replaced in place by its newer
 * version; new spans go on top; the feed keeps at most `max` entries.
 */
export function mergeLive(prev: readonly LiveEntry[], incoming: readonly Span[], now: number, max = LIVE_MAX): LiveEntry[] {
  const index = new Map<string, number>();
  prev.forEach((e, i) => index.set(e.key, i));
  const next = prev.slice();
  const fresh: LiveEntry[] = [];
  const freshIndex = new Map<string, number>();
  for (const s of incoming) {
    const key = liveKey(s);
    const at = index.get(key);
    if (at !== undefined) {
      const old = next[at];
      if (old) next[at] = { key, span: s, receivedAt: now, finished: old.span.status === 'running' && s.status !== 'running' };
      continue;
    }
    const f = freshIndex.get(key);
    if (f !== undefined) {
      const old = fresh[f];
      if (old) fresh[f] = { key, span: s, receivedAt: now, finished: old.span.status === 'running' && s.status !== 'running' };
      continue;
    }
    freshIndex.set(key, fresh.length);
    fresh.push({ key, span: s, receivedAt: now, finished: false });
  }
  fresh.reverse();
  return fresh.concat(next).slice(0, max);
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unsupported';

export interface LiveState {
  entries: LiveEntry[];
  status: LiveStatus;
  received: number;
  pending: number;
  lastError: string | null;
  clear: () => void;
}

const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];

/** Follows GET /api/v1/live (WebSocket), reconnecting from the last sequence number. */
export function useLiveSpans(filters: QueryParams, paused: boolean): LiveState {
  const [entries, setEntries] = useState<LiveEntry[]>([]);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [received, setReceived] = useState(0);
  const [pending, setPending] = useState(0);
  const [lastError, setLastError] = useState<string | null>(null);
  const buffer = useRef<Span[]>([]);
  const pausedRef = useRef(paused);
  const filterKey = JSON.stringify(filters);

  useEffect(() => {
    pausedRef.current = paused;
    if (!paused && buffer.current.length > 0) {
      const spans = buffer.current;
      buffer.current = [];
      setPending(0);
      setEntries((prev) => mergeLive(prev, spans, Date.now()));
    }
  }, [paused]);

  useEffect(() => {
    if (typeof WebSocket === 'undefined') {
      setStatus('unsupported');
      return;
    }
    let ws: WebSocket | null = null;
    let stopped = false;
    let attempt = 0;
    let lastSeq = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const parsed = JSON.parse(filterKey) as QueryParams;

    const connect = () => {
      setStatus(attempt === 0 ? 'connecting' : 'reconnecting');
      ws = new WebSocket(liveURL({ ...parsed, after_seq: lastSeq > 0 ? lastSeq : undefined }));
      ws.onopen = () => {
        attempt = 0;
        setStatus('live');
        setLastError(null);
      };
      ws.onmessage = (ev: MessageEvent<string>) => {
        let msg: LiveMessage;
        try {
          msg = JSON.parse(ev.data) as LiveMessage;
        } catch {
          return;
        }
        if (msg.type !== 'spans' || !Array.isArray(msg.spans)) return;
        if (msg.last_seq > lastSeq) lastSeq = msg.last_seq;
        setReceived((n) => n + msg.spans.length);
        if (pausedRef.current) {
          buffer.current.push(...msg.spans);
          setPending(buffer.current.length);
          return;
        }
        setEntries((prev) => mergeLive(prev, msg.spans, Date.now()));
      };
      ws.onclose = (ev) => {
        if (stopped) return;
        if (ev.reason) setLastError(ev.reason);
        setStatus('reconnecting');
        const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 5000;
        attempt++;
        timer = setTimeout(connect, delay);
      };
    };
    connect();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      ws?.close(1000, 'leaving the page');
    };
  }, [filterKey]);

  return {
    entries,
    status,
    received,
    pending,
    lastError,
    clear: () => {
      buffer.current = [];
      setPending(0);
      setEntries([]);
    },
  };
}
