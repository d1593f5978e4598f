// Span text (prompts, responses, tool input/output) is shown as text, never
// as HTML: these helpers only decide how to lay the text out.

export interface PreparedText {
  text: string;
  isJSON: boolean;
}

/** Pretty-prints text that is a JSON object or array; other text is returned unchanged. */
export function prepareText(raw: string): PreparedText {
  const t = raw.trim();
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      const v: unknown = JSON.parse(t);
      return { text: JSON.stringify(v, null, 2), isJSON: true };
    } catch {
      // Not JSON after all: show as written.
    }
  }
  return { text: raw, isJSON: false };
}

/** Pretty JSON of an already parsed value (attributes, events). */
export function prettyJSON(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

export function isEmptyJSON(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}
