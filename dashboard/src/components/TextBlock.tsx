import { useMemo, useState } from 'react';
import { prepareText } from '../lib/text';
import { CopyButton } from './CopyButton';

const FOLD_CHARS = 4000;

/**
 * Span text (prompt, response, tool input/output) rendered as TEXT: it is a
 * React text child of a <pre>, so markup in it is shown, never interpreted.
 * JSON objects and arrays are pretty-printed.
 */
export function TextBlock({ label, text, testId }: { label: string; text: string; testId?: string }) {
  const prepared = useMemo(() => prepareText(text), [text]);
  const [expanded, setExpanded] = useState(false);
  const long = prepared.text.length > FOLD_CHARS;
  const shown = long && !expanded ? prepared.text.slice(0, FOLD_CHARS) : prepared.text;
  return (
    <div className="text-block">
      <div className="text-block-head">
        <span className="text-block-label">{label}</span>
        {prepared.isJSON && <span className="pill pill-muted">JSON</span>}
        <span className="muted small">{prepared.text.length.toLocaleString('en-US')} chars</span>
        <span className="spacer" />
        <CopyButton text={prepared.text} />
      </div>
      <pre className={prepared.isJSON ? 'code json' : 'code'} data-testid={testId}>
        {shown}
      </pre>
      {long && (
        <button type="button" className="btn btn-ghost btn-xs" onClick={() => setExpanded((e) => !e)}>
          {expanded ? 'Show less' : `Show all ${prepared.text.length.toLocaleString('en-US')} characters`}
        </button>
      )}
    </div>
  );
}
