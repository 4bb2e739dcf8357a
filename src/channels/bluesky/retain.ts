/**
 * What of a Bluesky payload survives raw payload retention (src/jobs/housekeeping.ts, through
 * src/channels/retainedRaw.ts). A post keeps its `uri` and `cid` (a reply names its parent by
 * both; without them the connector reads the post again from the AppView, which fails once the
 * post is gone) and its record's `reply` refs (`record`, or `value` for a post we sent) (root and parent, uri and cid: the thread a reply
 * joins). A chat message keeps its `rev`, from which `findSent` looks for our answer. Never the
 * text, facets, embeds or the author's profile.
 */

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const ref = (v: any): { uri: string; cid: string } | null => (str(v?.uri) && str(v?.cid) ? { uri: v.uri, cid: v.cid } : null);

/** The kept subset of a stored Bluesky payload, or null for none. */
export function retainBlueskyRaw(raw: unknown): Record<string, unknown> | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, any>;
  const out: Record<string, unknown> = {};
  const rev = str(r.message?.rev);
  if (rev) out.message = { rev };
  if (str(r.uri) && str(r.cid)) {
    out.uri = r.uri;
    out.cid = r.cid;
    // a post read from the network carries `record`; one we sent, `value`
    for (const k of ['record', 'value'] as const) {
      const root = ref(r[k]?.reply?.root);
      const parent = ref(r[k]?.reply?.parent);
      if (root && parent) out[k] = { reply: { root, parent } };
    }
  }
  return Object.keys(out).length ? out : null;
}
