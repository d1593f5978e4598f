import type { LucideIcon } from 'lucide-react';
import {
  Archive,
  ArchiveRestore,
  BadgeCheck,
  Binary,
  Bot,
  Brain,
  FilePenLine,
  FileSearch,
  FileText,
  Globe,
  ListChecks,
  Puzzle,
  Shield,
  Sparkles,
  Terminal,
  Wrench,
} from 'lucide-react';
import { SPAN_TYPES, type SpanType } from '../api/types';

export interface SpanTypeStyle {
  label: string;
  icon: LucideIcon;
  /** Works on dark and light backgrounds. */
  color: string;
}

export const SPAN_TYPE_STYLES: Record<SpanType, SpanTypeStyle> = {
  task: { label: 'Task', icon: ListChecks, color: '#94a3b8' },
  agent: { label: 'Agent', icon: Bot, color: '#a78bfa' },
  llm_call: { label: 'LLM call', icon: Sparkles, color: '#818cf8' },
  tool_execution: { label: 'Tool', icon: Wrench, color: '#f59e0b' },
  reasoning: { label: 'Reasoning', icon: Brain, color: '#f472b6' },
  retrieval: { label: 'Retrieval', icon: FileSearch, color: '#22d3ee' },
  embedding: { label: 'Embedding', icon: Binary, color: '#2dd4bf' },
  memory_retrieval: { label: 'Memory read', icon: ArchiveRestore, color: '#38bdf8' },
  memory_store: { label: 'Memory write', icon: Archive, color: '#60a5fa' },
  file_read: { label: 'File read', icon: FileText, color: '#a3e635' },
  file_write: { label: 'File write', icon: FilePenLine, color: '#4ade80' },
  api_call: { label: 'API call', icon: Globe, color: '#fb923c' },
  code_execution: { label: 'Code', icon: Terminal, color: '#facc15' },
  verification: { label: 'Verification', icon: BadgeCheck, color: '#34d399' },
  guardrail: { label: 'Guardrail', icon: Shield, color: '#fb7185' },
  custom: { label: 'Custom', icon: Puzzle, color: '#a8a29e' },
};

export function isSpanType(t: string): t is SpanType {
  return (SPAN_TYPES as readonly string[]).includes(t);
}

export function spanTypeStyle(t: string): SpanTypeStyle {
  return isSpanType(t) ? SPAN_TYPE_STYLES[t] : SPAN_TYPE_STYLES.custom;
}
