/**
 * Reading a takedown off the labels the AppView hydrates into its views (com.atproto.label.defs#label
 * in app.bsky.actor.defs#profileViewDetailed / #profileViewBasic `labels` and
 * app.bsky.feed.defs#postView `labels`).
 *
 * What the AT Protocol label spec (atproto.com/specs/label) and the AppView (@atproto/bsky) say:
 *  - `!takedown` and `!suspend` are the protocol-level values a service "redacts" content for: an
 *    AppView asked for a labeler's labels with the `redact` flag (`atproto-accept-labelers:
 *    <did>;redact`, which @atproto/api sends for its app labelers, Bluesky's moderation service)
 *    does not show the subject at all (getProfile answers `AccountTakedown`, getPosts leaves the
 *    post out: see ./index.ts). Asked for a labeler's labels without `redact`, it shows the subject
 *    and hydrates the label into its `labels`: that is the route read here.
 *  - `!hide` and `!warn` are client-side behaviours (@atproto/api moderation: `!hide` blurs with no
 *    override, `!warn` with one): the AppView still serves the subject, so they are not a takedown.
 *  - A label is current per (src, uri, val): a later label with `neg: true` retracts it (the spec: a
 *    service "should not hydrate the negated label"), and past its `exp` it no longer applies
 *    ("should not continue to hydrate them"). An AppView that passes either through anyway must
 *    not make a takedown of it.
 *  - Self-labels (values in the record itself, com.atproto.label.defs#selfLabels) are hydrated with
 *    `src` = the author's DID: what the author says of their own post or profile, never a
 *    moderation action (the client library ignores self-labels with `!` values: flag `no-self`).
 *  - Only the moderation services Parley trusts count (`authorities`): a label from any other
 *    source is someone's opinion, not the network hiding the content.
 */

/** Label values the AppView reads as a takedown of their subject (@atproto/bsky hydration/label.ts, the spec's `redact`). */
export const TAKEDOWN_LABEL_VALUES: ReadonlySet<string> = new Set(['!takedown', '!suspend']);

/** The fields of a hydrated label that matter here (com.atproto.label.defs#label). */
interface LabelLike {
  src?: unknown;
  uri?: unknown;
  val?: unknown;
  neg?: unknown;
  cts?: unknown;
  exp?: unknown;
}

/**
 * Whether `labels` (a view's `labels`, anything else is no label) hold a standing takedown of
 * `subject` (a DID for the account, an at:// URI for a post) by one of `authorities`: a
 * `!takedown` / `!suspend` label whose latest word per (src, uri, val) is not a negation, not
 * expired at `now`, and not a self-label of `author` (the subject's own DID).
 */
export function takenDownByLabel(labels: unknown, subject: string, opts: { author: string; authorities: ReadonlySet<string>; now: number }): boolean {
  if (!Array.isArray(labels)) return false;
  /** Per source and value: the latest label (by `cts`) about the subject. */
  const latest = new Map<string, { neg: boolean; cts: number; exp: number | null }>();
  for (const raw of labels as unknown[]) {
    const l = raw as LabelLike | null;
    if (!l || typeof l !== 'object' || l.uri !== subject || typeof l.src !== 'string' || typeof l.val !== 'string') continue;
    if (!TAKEDOWN_LABEL_VALUES.has(l.val) || l.src === opts.author || !opts.authorities.has(l.src)) continue;
    const cts = typeof l.cts === 'string' ? Date.parse(l.cts) : NaN;
    // an expiry that cannot be read cannot be shown to lie ahead: the label is not taken as standing
    const exp = l.exp === undefined || l.exp === null ? null : typeof l.exp === 'string' ? Date.parse(l.exp) : NaN;
    const entry = { neg: l.neg === true, cts: Number.isFinite(cts) ? cts : -Infinity, exp };
    const key = `${l.src}\u0000${l.val}`;
    const before = latest.get(key);
    // the later label wins; at the same instant a negation does (a retraction is not undone by a tie)
    if (!before || entry.cts > before.cts || (entry.cts === before.cts && entry.neg)) latest.set(key, entry);
  }
  for (const l of latest.values()) {
    if (l.neg) continue;
    if (l.exp !== null && !(l.exp > opts.now)) continue; // expired, or an unreadable expiry
    return true;
  }
  return false;
}
