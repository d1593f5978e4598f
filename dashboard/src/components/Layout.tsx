import { DollarSign, Gauge, Layers, LayoutDashboard, Moon, Radio, Settings, Sun, Workflow } from 'lucide-react';
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useHealth } from '../api/queries';
import { useResolvedTheme } from '../store/theme';
import { RANGE_LABELS, RANGES, useUI } from '../store/ui';

const NAV = [
  { to: '/', label: 'Overview', icon: LayoutDashboard, end: true },
  { to: '/sessions', label: 'Sessions', icon: Layers },
  { to: '/traces', label: 'Traces', icon: Workflow },
  { to: '/costs', label: 'Costs', icon: DollarSign },
  { to: '/performance', label: 'Performance', icon: Gauge },
  { to: '/live', label: 'Live', icon: Radio },
  { to: '/settings', label: 'Settings', icon: Settings },
];

export function Logo() {
  return (
    <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden>
      <defs>
        <linearGradient id="logo-g" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#8b7bff" />
          <stop offset="1" stopColor="#22d3ee" />
        </linearGradient>
      </defs>
      <rect width="32" height="32" rx="8" fill="var(--logo-bg)" />
      <path d="M7 22 L13 10 L19 18 L25 8" fill="none" stroke="url(#logo-g)" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
      <circle cx="25" cy="8" r="2.5" fill="#22d3ee" />
    </svg>
  );
}

function HealthDot() {
  const h = useHealth();
  const ok = h.data?.status === 'ok';
  const label = h.isPending ? 'Connecting…' : ok ? `Connected · ${/^\d/.test(h.data?.version ?? '') ? 'v' : ''}${h.data?.version ?? ''}` : h.isError ? 'API unreachable' : `Storage: ${h.data?.storage ?? 'unknown'}`;
  return (
    <div className={`health ${h.isPending ? 'pending' : ok ? 'ok' : 'bad'}`} title={label} data-testid="health">
      <span className="health-dot" />
      <span>{label}</span>
    </div>
  );
}

export function Sidebar() {
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <Logo />
        <span className="brand-name">AgentTrace</span>
      </div>
      <ul className="nav">
        {NAV.map(({ to, label, icon: Icon, end }) => (
          <li key={to}>
            <NavLink to={to} end={end} className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}>
              <Icon size={17} aria-hidden />
              <span>{label}</span>
              {to === '/live' && <span className="live-dot" aria-hidden />}
            </NavLink>
          </li>
        ))}
      </ul>
      <div className="sidebar-foot">
        <HealthDot />
      </div>
    </nav>
  );
}

export function RangePicker() {
  const range = useUI((s) => s.range);
  const setRange = useUI((s) => s.setRange);
  return (
    <div className="segmented" role="radiogroup" aria-label="Time range">
      {RANGES.map((r) => (
        <button key={r} type="button" role="radio" aria-checked={r === range} title={RANGE_LABELS[r]} className={r === range ? 'active' : ''} onClick={() => setRange(r)}>
          {r}
        </button>
      ))}
    </div>
  );
}

export function ThemeToggle() {
  const theme = useResolvedTheme();
  const setTheme = useUI((s) => s.setTheme);
  return (
    <button
      type="button"
      className="btn btn-ghost btn-icon"
      aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
      title={theme === 'dark' ? 'Light theme' : 'Dark theme'}
      onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
    >
      {theme === 'dark' ? <Sun size={17} /> : <Moon size={17} />}
    </button>
  );
}

/** A page's title row: title, subtitle and the page's controls. */
export function PageHeader({ title, subtitle, actions, icon }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; icon?: ReactNode }) {
  return (
    <header className="page-head">
      <div className="page-title-wrap">
        {icon}
        <div>
          <h1 className="page-title">{title}</h1>
          {subtitle && <div className="page-sub">{subtitle}</div>}
        </div>
      </div>
      <div className="page-actions">
        {actions}
        <ThemeToggle />
      </div>
    </header>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  return (
    <div className="shell">
      <Sidebar />
      <main className="main">{children}</main>
    </div>
  );
}

