import { create } from 'zustand';
import { persist, createJSONStorage } from 'zustand/middleware';

export type ThemePreference = 'system' | 'dark' | 'light';
export type Theme = 'dark' | 'light';

export const RANGES = ['1h', '6h', '24h', '7d', '30d'] as const;
export type RangeKey = (typeof RANGES)[number];

export const RANGE_LABELS: Record<RangeKey, string> = {
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
};

/** Small global UI state, persisted in localStorage. Server state lives in TanStack Query. */
export interface UIState {
  theme: ThemePreference;
  apiKey: string;
  range: RangeKey;
  setTheme: (t: ThemePreference) => void;
  setApiKey: (k: string) => void;
  setRange: (r: RangeKey) => void;
}

export const useUI = create<UIState>()(
  persist(
    (set) => ({
      theme: 'system',
      apiKey: '',
      range: '24h',
      setTheme: (theme) => set({ theme }),
      setApiKey: (apiKey) => set({ apiKey: apiKey.trim() }),
      setRange: (range) => set({ range }),
    }),
    {
      name: 'agenttrace.ui',
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ theme: s.theme, apiKey: s.apiKey, range: s.range }),
    },
  ),
);

export function resolveTheme(pref: ThemePreference, prefersDark: boolean): Theme {
  if (pref === 'system') return prefersDark ? 'dark' : 'light';
  return pref;
}
