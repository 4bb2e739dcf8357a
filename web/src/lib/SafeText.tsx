/**
 * Rendering hostile public text. Everything is a React text node (never HTML), links
 * are recognised only for http(s) and shown with their real, parsed target (punycode
 * hosts and percent-encoded control characters visible), open in a new tab with
 * rel="noopener noreferrer nofollow ugc", and bidi controls are isolated so they cannot
 * reorder the UI around the message.
 */
import { useState, type ReactNode } from 'react';
import { CONTROL_CLASS, CONTROL_NAMES, controlLabel, HAS_CONTROL } from './format.js';

// http(s) URLs and www. hosts. No nested quantifiers: linear on 100 KB of one character.
const URLISH = /\b(?:https?:\/\/|www\.)[^\s<>"'`\u00A0\u2000-\u200F\u2028-\u202F\u2066-\u2069\u3000]{1,2048}/giu;
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"', '»', '”', '’', '…', '*', '>']);
const CLOSE: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Drop trailing punctuation and unbalanced closing brackets (as twitter-text does). */
function trimEnd(url: string): string {
  let end = url.length;
  while (end > 0) {
    const ch = url[end - 1]!;
    if (TRAILING.has(ch)) {
      end--;
      continue;
    }
    const open = CLOSE[ch];
    if (open) {
      const body = url.slice(0, end);
      if (body.split(ch).length > body.split(open).length) {
        end--;
        continue;
      }
    }
    break;
  }
  return url.slice(0, end);
}

export interface LinkPart {
  start: number;
  end: number;
  href: string;
}

/** The http(s) links in a text with their normalised targets; anything else stays text. */
export function findLinks(text: string): LinkPart[] {
  const out: LinkPart[] = [];
  if (text.indexOf('http') < 0 && text.indexOf('www.') < 0 && text.indexOf('HTTP') < 0 && text.indexOf('WWW.') < 0) return out;
  URLISH.lastIndex = 0;
  for (let m = URLISH.exec(text); m; m = URLISH.exec(text)) {
    const raw = trimEnd(m[0]);
    const href = safeHref(/^www\./i.test(raw) ? `https://${raw}` : raw);
    if (href) out.push({ start: m.index, end: m.index + raw.length, href });
    if (out.length >= 200) break;
  }
  return out;
}

/** A link target we are willing to put in href: http(s) with a host, as the URL parser normalises it. */
export function safeHref(raw: string | null | undefined): string | null {
  if (!raw || raw.length > 4096) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  if (!u.hostname) return null;
  return u.href;
}

/** An external link, target visible. */
export function ExternalLink({ href, children, className }: { href: string; children?: ReactNode; className?: string }) {
  return (
    <a className={className ? `ext-link ${className}` : 'ext-link'} href={href} target="_blank" rel="noopener noreferrer nofollow ugc" title={href}>
      {children ?? href}
    </a>
  );
}

const FOLD = 4000;

/**
 * Message or profile text, as text. Links become anchors whose visible text is their
 * real target; very long texts are folded (expandable).
 */
export function SafeText({ text, linkify = true, fold = true, highlight }: { text: string; linkify?: boolean; fold?: boolean; highlight?: string[] }) {
  const [expanded, setExpanded] = useState(false);
  const long = fold && text.length > FOLD;
  let shown = long && !expanded ? text.slice(0, FOLD) : text;
  if (long && !expanded && /[\uD800-\uDBFF]$/.test(shown)) shown = shown.slice(0, -1);
  const parts: ReactNode[] = [];
  const links = linkify ? findLinks(shown) : [];
  let pos = 0;
  links.forEach((l, i) => {
    if (l.start > pos) parts.push(<Highlighted key={`t${i}`} text={shown.slice(pos, l.start)} terms={highlight} />);
    parts.push(<ExternalLink key={`l${i}`} href={l.href} />);
    pos = l.end;
  });
  if (pos < shown.length) parts.push(<Highlighted key="tail" text={shown.slice(pos)} terms={highlight} />);
  return (
    <span className="safe-text" dir="auto">
      {parts}
      {long && (
        <>
          {!expanded && '…'}{' '}
          <button type="button" className="link-button" onClick={() => setExpanded((x) => !x)}>
            {expanded ? 'Show less' : `Show all ${text.length.toLocaleString()} characters`}
          </button>
        </>
      )}
    </span>
  );
}

const LONG_RUN = /\S{160,}/g;
const CHUNK = 120;

/**
 * Long unbroken runs (hostile 100 KB "words") get <wbr> break opportunities every
 * 120 characters: Chromium takes seconds to lay out such a run with
 * overflow-wrap:anywhere, and milliseconds with these hints. The text itself (and what
 * is copied) is unchanged.
 */
export function breakLongRuns(text: string, key: string): ReactNode[] {
  if (HAS_CONTROL.test(text)) return showControls(text, key);
  if (text.length < 160) return [text];
  const out: ReactNode[] = [];
  let last = 0;
  LONG_RUN.lastIndex = 0;
  for (let m = LONG_RUN.exec(text); m; m = LONG_RUN.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const run = m[0];
    let i = 0;
    while (i < run.length) {
      let j = Math.min(i + CHUNK, run.length);
      // never between the halves of a surrogate pair
      if (j < run.length && (run.charCodeAt(j) & 0xfc00) === 0xdc00) j++;
      out.push(run.slice(i, j));
      if (j < run.length) out.push(<wbr key={`${key}-${m.index + j}`} />);
      i = j;
    }
    last = m.index + run.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/**
 * Direction overrides and control codes made visible instead of obeyed: an RLO cannot
 * turn "gnp.exe" into "exe.png", a NUL cannot hide. The stored text is unchanged.
 */
function showControls(text: string, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  const re = new RegExp(CONTROL_CLASS, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(...breakLongRuns(text.slice(last, m.index), `${key}c${m.index}`));
    const ch = m[0];
    const code = `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    out.push(
      <abbr key={`${key}x${m.index}`} className="ctrl" title={CONTROL_NAMES[ch] ? `Hidden text-direction control (${code}), shown instead of applied` : `Control character ${code}`}>
        {controlLabel(ch)}
      </abbr>,
    );
    last = m.index + 1;
    if (out.length > 4000) break;
  }
  if (last < text.length) out.push(...breakLongRuns(text.slice(last), `${key}e`));
  return out;
}

/** Text with search terms wrapped in <mark> (case-insensitive, literal). */
export function Highlighted({ text, terms }: { text: string; terms?: string[] }) {
  const escaped = (terms ?? []).filter((t) => t.length > 0).slice(0, 16).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (!escaped.length || !text) return <>{breakLongRuns(text, 't')}</>;
  // an emoji's tone and variation selector are marked with it (split from it they would show apart),
  // and never a part of a joined sequence (👨 in 👨‍👩‍👧)
  const re = new RegExp(`((?:${escaped.join('|')})(?:\\p{Emoji_Modifier}|\\uFE0F)*(?!\\u200D))`, 'giu');
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (let m = re.exec(text); m && n < 200; m = re.exec(text), n++) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    if (m.index > last) out.push(...breakLongRuns(text.slice(last, m.index), `p${m.index}`));
    out.push(<mark key={m.index}>{m[0]}</mark>);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(...breakLongRuns(text.slice(last), 'end'));
  return <>{out}</>;
}
