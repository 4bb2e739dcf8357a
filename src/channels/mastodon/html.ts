/**
 * Mastodon status HTML → plain text, the way a reader sees it: paragraphs
 * become blank lines, <br> a line break, entities are decoded, links keep
 * their full URL (Mastodon hides part of long URLs in `invisible` spans — the
 * text still holds all of it), mentions and hashtags keep their text, and
 * every other tag is dropped (script/style with their contents). The result
 * is inert text: the UI escapes it like any other message. One linear pass,
 * no backtracking regexes over the input, so huge or malicious input costs O(n).
 */

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', shy: '\u00ad', zwj: '\u200d', zwnj: '\u200c',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', sbquo: '‚', ldquo: '“', rdquo: '”', bdquo: '„',
  laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™', euro: '€', pound: '£', yen: '¥', cent: '¢', deg: '°',
  middot: '·', bull: '•', times: '×', divide: '÷', para: '¶', sect: '§', iexcl: '¡', iquest: '¿', lrm: '\u200e', rlm: '\u200f',
};

const HEX = /^[0-9a-fA-F]{1,8}$/;
const DEC = /^[0-9]{1,10}$/;

/** Decode HTML character references; unknown names stay as written. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const amp = s.indexOf('&', i);
    if (amp < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, amp);
    // references are short: look for the ';' within 32 characters only
    const semi = s.slice(amp + 1, amp + 34).indexOf(';');
    if (semi < 0) {
      out += '&';
      i = amp + 1;
      continue;
    }
    const ref = s.slice(amp + 1, amp + 1 + semi);
    let decoded: string | null = null;
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const digits = ref.slice(hex ? 2 : 1);
      if ((hex ? HEX : DEC).test(digits)) {
        const cp = parseInt(digits, hex ? 16 : 10);
        // as browsers do: NUL, surrogates and out-of-range code points become U+FFFD
        decoded = cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp);
      }
    } else if (Object.prototype.hasOwnProperty.call(NAMED, ref)) {
      decoded = NAMED[ref]!;
    }
    if (decoded === null) {
      out += '&';
      i = amp + 1;
    } else {
      out += decoded;
      i = amp + 2 + semi;
    }
  }
  return out;
}

interface Tag {
  name: string;
  closing: boolean;
  attrs: Record<string, string>;
}

const ATTR = /([^\s=/"'>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** Parse the tag starting at `start` ('<'); returns it and the index after its '>' (quoted '>' respected). */
function readTag(html: string, start: number): { tag: Tag | null; end: number } {
  let i = start + 1;
  if (html.startsWith('!--', i)) {
    const close = html.indexOf('-->', i + 3);
    return { tag: null, end: close < 0 ? html.length : close + 3 };
  }
  let quote: string | null = null;
  for (; i < html.length; i++) {
    const c = html[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') break;
  }
  const body = html.slice(start + 1, i);
  const end = Math.min(html.length, i + 1);
  const m = /^\s*(\/?)\s*([a-zA-Z][a-zA-Z0-9-]*)/.exec(body);
  if (!m) return { tag: null, end };
  const attrs: Record<string, string> = {};
  const rest = body.slice(m[0].length);
  ATTR.lastIndex = 0;
  for (let a = ATTR.exec(rest); a; a = ATTR.exec(rest)) attrs[a[1]!.toLowerCase()] = decodeEntities(a[2] ?? a[3] ?? a[4] ?? '');
  return { tag: { name: m[2]!.toLowerCase(), closing: m[1] === '/', attrs }, end };
}

const BLOCK = new Set(['div', 'ul', 'ol', 'blockquote', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'tr']);
const SKIP_CONTENT = new Set(['script', 'style', 'template', 'noscript', 'iframe', 'object', 'svg', 'math', 'head', 'title']);
const TAG_START = /[a-zA-Z/!]/;

/** A link's text as written: a URL (even shortened for display) becomes the whole URL; other text keeps the URL beside it. */
function anchorText(text: string, href: string | undefined, cls: string): string {
  if (!href || !/^https?:\/\//i.test(href)) return text;
  if (/\b(mention|hashtag)\b/.test(cls)) return text;
  const t = text.trim();
  if (t === '' || t === href) return href;
  const bare = href.replace(/^https?:\/\/(www\.)?/i, '');
  const shown = t.replace(/^https?:\/\/(www\.)?/i, '').replace(/…$/, '');
  if (shown && bare.startsWith(shown)) return href;
  return `${text} (${href})`;
}

export function htmlToText(html: string): string {
  // output as chunks with the count of newlines it ends with: never re-read (large strings are ropes)
  const parts: string[] = [];
  let tailNewlines = 0;
  let empty = true;
  // the anchor being read: its text is collected, then written once it closes
  let anchor: { href?: string; cls: string; text: string } | null = null;
  let skipUntil: string | null = null;
  const emit = (s: string) => {
    if (!s) return;
    parts.push(s);
    let n = 0;
    while (n < s.length && s[s.length - 1 - n] === '\n') n++;
    tailNewlines = n === s.length ? tailNewlines + n : n;
    empty = false;
  };
  const write = (s: string) => {
    if (anchor) anchor.text += s;
    else emit(s);
  };
  const lineBreaks = (n: number) => {
    if (anchor || empty) return;
    if (tailNewlines < n) emit('\n'.repeat(n - tailNewlines));
  };
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt < 0 ? html.length : lt;
    if (textEnd > i && !skipUntil) {
      const text = html.slice(i, textEnd);
      // indentation between block tags (pretty-printed HTML from other servers) is layout, not text
      if (!(anchor === null && (empty || tailNewlines > 0) && text.includes('\n') && text.trim() === '')) write(decodeEntities(text));
    }
    if (lt < 0) break;
    // a '<' not followed by a tag-ish character is just text
    if (!TAG_START.test(html[lt + 1] ?? '')) {
      if (!skipUntil) write('<');
      i = lt + 1;
      continue;
    }
    const { tag, end } = readTag(html, lt);
    i = end;
    if (!tag) continue;
    if (skipUntil) {
      if (tag.closing && tag.name === skipUntil) skipUntil = null;
      continue;
    }
    if (!tag.closing && SKIP_CONTENT.has(tag.name)) {
      skipUntil = tag.name;
      continue;
    }
    switch (tag.name) {
      case 'br':
        write('\n');
        break;
      case 'p':
        lineBreaks(2);
        break;
      case 'li':
        if (!tag.closing) {
          lineBreaks(1);
          write('- ');
        }
        break;
      case 'a':
        if (!tag.closing) {
          if (anchor) emit(anchor.text); // nested <a>: keep the outer one's text as it is
          anchor = { href: tag.attrs.href, cls: tag.attrs.class ?? '', text: '' };
        } else if (anchor) {
          const a: { href?: string; cls: string; text: string } = anchor;
          anchor = null;
          emit(anchorText(a.text, a.href, a.cls));
        }
        break;
      default:
        if (BLOCK.has(tag.name)) lineBreaks(1);
    }
  }
  if (anchor) {
    const a = anchor as { href?: string; cls: string; text: string };
    emit(anchorText(a.text, a.href, a.cls));
  }
  const out = parts.join('');
  let start = 0;
  while (start < out.length && out[start] === '\n') start++;
  return out.slice(start).trimEnd();
}
