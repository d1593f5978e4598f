import { useSyncExternalStore } from 'react';
import { resolveTheme, useUI, type Theme } from './ui';

const query = '(prefers-color-scheme: dark)';

function subscribe(cb: () => void): () => void {
  if (typeof window === 'undefined' || !window.matchMedia) return () => {};
  const m = window.matchMedia(query);
  m.addEventListener('change', cb);
  return () => m.removeEventListener('change', cb);
}

function prefersDark(): boolean {
  return typeof window !== 'undefined' && !!window.matchMedia && window.matchMedia(query).matches;
}

/** The theme in effect: the preference, or the system's when it is "system". */
export function useResolvedTheme(): Theme {
  const pref = useUI((s) => s.theme);
  const dark = useSyncExternalStore(subscribe, prefersDark, () => true);
  return resolveTheme(pref, dark);
}

export interface ChartColors {
  grid: string;
  axis: string;
  text: string;
  series: string[];
  input: string;
  cacheRead: string;
  cacheWrite: string;
  output: string;
  reasoning: string;
  cost: string;
  p50: string;
  p95: string;
  p99: string;
  error: string;
}

const shared = {
  input: '#818cf8',
  cacheRead: '#22d3ee',
  cacheWrite: '#2dd4bf',
  output: '#f472b6',
  reasoning: '#fbbf24',
  cost: '#a78bfa',
  p50: '#34d399',
  p95: '#818cf8',
  p99: '#f472b6',
  error: '#f87171',
  series: ['#818cf8', '#22d3ee', '#f472b6', '#fbbf24', '#34d399', '#fb923c', '#a78bfa', '#60a5fa'],
};

export function chartColors(theme: Theme): ChartColors {
  return theme === 'dark'
    ? { ...shared, grid: '#222736', axis: '#2c3242', text: '#8a91a6' }
    : { ...shared, grid: '#e8eaf1', axis: '#d5d9e4', text: '#646b7e', input: '#6366f1', output: '#db2777', cacheRead: '#0891b2', reasoning: '#d97706', cost: '#7c3aed' };
}
