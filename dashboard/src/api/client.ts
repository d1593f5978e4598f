import { useUI } from '../store/ui';
import type { ApiErrorBody } from './types';

export const API_PREFIX = '/api/v1';

/** An API failure: HTTP status, the API's error code, and its message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export type QueryValue = string | number | boolean | null | undefined;
export type QueryParams = Record<string, QueryValue>;

/** Builds a query string, leaving out empty values (the API rejects empty parameters). */
export function toSearch(params: QueryParams = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

function isErrorBody(v: unknown): v is ApiErrorBody {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return typeof e === 'object' && e !== null && 'message' in e;
}

export function authHeaders(key: string = useUI.getState().apiKey): Record<string, string> {
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** GETs an API path (relative to /api/v1) and returns its JSON body; `apiKey` overrides the saved key. */
export async function apiGet<T>(path: string, params?: QueryParams, signal?: AbortSignal, apiKey?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${API_PREFIX}${path}${toSearch(params)}`, {
      headers: { Accept: 'application/json', ...authHeaders(apiKey) },
      signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the AgentTrace API. Is the collector running?');
  }
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad_response', `The API answered with something that is not JSON (HTTP ${res.status}).`);
    }
  }
  if (!res.ok) {
    if (isErrorBody(body)) throw new ApiError(res.status, body.error.code, body.error.message);
    throw new ApiError(res.status, 'http', `HTTP ${res.status}`);
  }
  return body as T;
}

/** The WebSocket URL of the live stream, with filters and the API key. */
export function liveURL(params: QueryParams, loc: Location = window.location): string {
  const key = useUI.getState().apiKey;
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}${API_PREFIX}/live${toSearch({ ...params, api_key: key || undefined })}`;
}
