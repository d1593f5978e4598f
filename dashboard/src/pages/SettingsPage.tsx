import { useQueryClient } from '@tanstack/react-query';
import { CircleCheck, CircleX, Eye, EyeOff, KeyRound, Monitor, Moon, Sun } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { ApiError, apiGet } from '../api/client';
import { useHealth } from '../api/queries';
import type { Page, Session } from '../api/types';
import { Card, KeyValues } from '../components/Card';
import { PageHeader } from '../components/Layout';
import { FirstSpanGuide } from '../components/States';
import { useUI, type ThemePreference } from '../store/ui';

type TestResult = { ok: true } | { ok: false; message: string } | null;

export function SettingsPage() {
  const apiKey = useUI((s) => s.apiKey);
  const setApiKey = useUI((s) => s.setApiKey);
  const theme = useUI((s) => s.theme);
  const setTheme = useUI((s) => s.setTheme);
  const qc = useQueryClient();
  const [draft, setDraft] = useState(apiKey);
  const [show, setShow] = useState(false);
  const [result, setResult] = useState<TestResult>(null);
  const [testing, setTesting] = useState(false);
  const health = useHealth();

  const save = (e: FormEvent) => {
    e.preventDefault();
    setApiKey(draft);
    setResult(null);
    void qc.invalidateQueries();
  };
  const test = async () => {
    setTesting(true);
    try {
      await apiGet<Page<Session>>('/sessions', { limit: 1 }, undefined, draft.trim());
      setResult({ ok: true });
    } catch (err) {
      setResult({ ok: false, message: err instanceof ApiError ? `${err.message} (HTTP ${err.status})` : String(err) });
    } finally {
      setTesting(false);
    }
  };

  return (
    <div className="page" data-testid="page-settings">
      <PageHeader title="Settings" subtitle="Stored in this browser only" />
      <div className="grid-2">
        <Card title={<><KeyRound size={15} /> API key</>}>
          <p className="muted small">
            Needed when the API runs with keys (<code>AGENTTRACE_API_KEYS</code>); local mode on 127.0.0.1 needs none. Sent as{' '}
            <code>Authorization: Bearer …</code>, and as <code>api_key</code> on the live WebSocket.
          </p>
          <form onSubmit={save} className="settings-form">
            <div className="input-row">
              <input
                type={show ? 'text' : 'password'}
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                placeholder="no key"
                autoComplete="off"
                spellCheck={false}
                aria-label="API key"
                className="grow mono"
              />
              <button type="button" className="btn btn-ghost btn-icon" onClick={() => setShow((s) => !s)} aria-label={show ? 'Hide key' : 'Show key'}>
                {show ? <EyeOff size={16} /> : <Eye size={16} />}
              </button>
            </div>
            <div className="input-row">
              <button type="submit" className="btn btn-primary" disabled={draft.trim() === apiKey}>
                Save
              </button>
              <button type="button" className="btn" onClick={() => void test()} disabled={testing}>
                {testing ? 'Testing…' : 'Test connection'}
              </button>
              {apiKey && (
                <button
                  type="button"
                  className="btn btn-ghost"
                  onClick={() => {
                    setDraft('');
                    setApiKey('');
                    void qc.invalidateQueries();
                  }}
                >
                  Remove key
                </button>
              )}
            </div>
            {result && (
              <div className={`callout ${result.ok ? 'callout-ok' : 'callout-error'}`} role="status">
                {result.ok ? <CircleCheck size={16} /> : <CircleX size={16} />}
                {result.ok ? 'The API accepted this key.' : result.message}
              </div>
            )}
            <div className="muted small">{apiKey ? 'A key is saved.' : 'No key saved.'}</div>
          </form>
        </Card>
        <Card title="Theme">
          <div className="theme-options" role="radiogroup" aria-label="Theme">
            {([
              ['system', 'System', Monitor],
              ['dark', 'Dark', Moon],
              ['light', 'Light', Sun],
            ] as Array<[ThemePreference, string, typeof Monitor]>).map(([v, l, Icon]) => (
              <button key={v} type="button" role="radio" aria-checked={theme === v} className={`theme-option${theme === v ? ' active' : ''}`} onClick={() => setTheme(v)}>
                <span className={`theme-swatch swatch-${v}`} aria-hidden />
                <span className="theme-option-label">
                  <Icon size={15} /> {l}
                </span>
              </button>
            ))}
          </div>
          <h3 className="section-title">Server</h3>
          <KeyValues
            items={[
              ['API', health.isError ? <span className="text-error">unreachable</span> : health.data ? `${health.data.status} · version ${health.data.version}` : '…'],
              ['Storage', health.data?.storage ?? '…'],
              ['Native ingest', <code key="n">http://127.0.0.1:4321/v1/spans</code>],
              ['OTLP', <code key="o">127.0.0.1:4317 (gRPC) · 4318 (HTTP)</code>],
            ]}
          />
        </Card>
      </div>
      <FirstSpanGuide title="Send a span by hand" />
    </div>
  );
}
