/**
 * The ingest benchmark's messages as X delivers them to a webhook: Account Activity
 * API bodies, signed as X signs them, so the pipeline is timed from the bytes a
 * webhook receives (signature check, JSON parse, normalization) and stores the
 * payloads a real deployment stores.
 *
 * Shapes follow X's documentation of the Account Activity API data objects and of
 * the v1.1 Tweet and User objects: public posts are `tweet_create_events` (Tweet
 * objects with `id_str`, the author's `user` object, the reply fields, `entities`,
 * `extended_tweet.full_text` for posts over 140 characters, `timestamp_ms`); private
 * messages are `direct_message_events` of type `message_create`, with the senders in
 * the delivery's `users` map. Text is HTML-escaped (`&` `<` `>`) as X sends it. A
 * delivery holds one kind of event, for the account in `for_user_id`.
 *
 * The stream itself (texts, customers, threads, timing) is data.ts's `messageStream`,
 * so the messages are the same real TWCS texts as in the other sections.
 */
import type { NormalizedMessage } from '../core/types.js';
import { signXWebhook } from '../channels/x/webhook.js';
import type { XAccountRef } from '../channels/x/normalize.js';

/** The brand's X account in the benchmark, and its app's consumer secret (for signatures). */
export const BENCH_X_ACCOUNT: XAccountRef = { userId: '1590000000000000001', username: 'BenchCare' };
export const BENCH_X_SECRET = 'bench-consumer-secret';

export interface XDelivery {
  /** The exact request body. */
  body: Buffer;
  /** `x-twitter-webhooks-signature` header value. */
  signature: string;
  /** How many messages it carries. */
  count: number;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** v1.1 time format: `Wed Oct 10 20:19:24 +0000 2018`. */
function v1Time(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 ${d.getUTCFullYear()}`;
}

const escapeX = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface UserRef {
  id: string;
  screenName: string;
  name: string;
  followers: number;
}

/** A v1.1 User object as webhook payloads carry it. */
function v1User(u: UserRef, createdAt: number) {
  return {
    id: Number(u.id), id_str: u.id, name: u.name, screen_name: u.screenName, location: null, url: null,
    description: 'Coffee, trains and the occasional complaint.', translator_type: 'none', protected: false, verified: false,
    followers_count: u.followers, friends_count: 180, listed_count: 2, favourites_count: 1204, statuses_count: 3310,
    created_at: v1Time(createdAt - 3 * 365 * 86400_000), utc_offset: null, time_zone: null, geo_enabled: false, lang: null,
    contributors_enabled: false, is_translator: false, profile_background_color: 'F5F8FA', profile_background_image_url: '',
    profile_background_image_url_https: '', profile_background_tile: false, profile_link_color: '1DA1F2',
    profile_sidebar_border_color: 'C0DEED', profile_sidebar_fill_color: 'DDEEF6', profile_text_color: '333333',
    profile_use_background_image: true, profile_image_url: `http://pbs.twimg.com/profile_images/${u.id}/avatar_normal.jpg`,
    profile_image_url_https: `https://pbs.twimg.com/profile_images/${u.id}/avatar_normal.jpg`, default_profile: true,
    default_profile_image: false, following: null, follow_request_sent: null, notifications: null,
  };
}

const mention = (u: UserRef, at: number) => ({ screen_name: u.screenName, name: u.name, id: Number(u.id), id_str: u.id, indices: [at, at + u.screenName.length + 1] });

/**
 * `msgs` (from `messageStream`) as signed Account Activity deliveries of up to
 * `perDelivery` events each, in stream order (a private message closes the public
 * delivery being filled, and the other way round). Ids become numeric, as X's are.
 */
export function xDeliveries(msgs: readonly NormalizedMessage[], perDelivery = 100, me: XAccountRef = BENCH_X_ACCOUNT): XDelivery[] {
  const brand: UserRef = { id: me.userId, screenName: me.username, name: 'Bench Care', followers: 48_210 };
  const base = BigInt(msgs[0]?.createdAt ?? 0) << 22n;
  const ids = new Map<string, { id: string; user: UserRef }>();
  const users = new Map<string, UserRef>();
  const userOf = (m: NormalizedMessage): UserRef => {
    if (m.fromBrand || m.direction === 'outbound') return brand;
    let u = users.get(m.author.networkUserId);
    if (!u) {
      const n = users.size + 1;
      u = { id: String(1_200_000_000n + BigInt(n)), screenName: m.author.handle, name: m.author.displayName ?? m.author.handle, followers: m.author.followers ?? 0 };
      users.set(m.author.networkUserId, u);
    }
    return u;
  };
  const out: XDelivery[] = [];
  let tweets: unknown[] = [];
  let dms: unknown[] = [];
  let dmUsers: Record<string, unknown> = {};
  const flush = (kind: 'tweets' | 'dms') => {
    const events = kind === 'tweets' ? tweets : dms;
    if (!events.length) return;
    const body = Buffer.from(JSON.stringify(kind === 'tweets'
      ? { for_user_id: me.userId, user_has_blocked: false, tweet_create_events: events }
      : { for_user_id: me.userId, direct_message_events: events, users: dmUsers }));
    out.push({ body, signature: signXWebhook(BENCH_X_SECRET, body), count: events.length });
    if (kind === 'tweets') tweets = [];
    else (dms = [], dmUsers = {});
  };
  msgs.forEach((m, i) => {
    const id = String(base + BigInt(i));
    const user = userOf(m);
    ids.set(m.networkMessageId, { id, user });
    const text = escapeX(m.text);
    if (m.visibility === 'private') {
      flush('tweets');
      dms.push({
        type: 'message_create', id, created_timestamp: String(m.createdAt),
        message_create: { target: { recipient_id: user === brand ? '1200000000' : me.userId }, sender_id: user.id, message_data: { text, entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } } },
      });
      dmUsers[user.id] = v1User(user, m.createdAt);
      if (dms.length >= perDelivery) flush('dms');
      return;
    }
    flush('dms');
    const parent = m.inReplyToNetworkId ? ids.get(m.inReplyToNetworkId) : undefined;
    const to = parent?.user ?? brand;
    const lead = `@${to.screenName} `;
    const full = lead + text;
    const long = full.length > 140;
    tweets.push({
      created_at: v1Time(m.createdAt), id: Number(id), id_str: id, text: long ? `${full.slice(0, 138)}… https://t.co/bench${i}` : full,
      display_text_range: [lead.length, full.length], source: '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>', truncated: long,
      in_reply_to_status_id: parent ? Number(parent.id) : null, in_reply_to_status_id_str: parent?.id ?? null,
      in_reply_to_user_id: parent ? Number(to.id) : null, in_reply_to_user_id_str: parent ? to.id : null, in_reply_to_screen_name: parent ? to.screenName : null,
      user: v1User(user, m.createdAt), geo: null, coordinates: null, place: null, contributors: null, is_quote_status: false,
      ...(long ? { extended_tweet: { full_text: full, display_text_range: [lead.length, full.length], entities: { hashtags: [], urls: [], user_mentions: [mention(to, 0)], symbols: [] } } } : {}),
      quote_count: 0, reply_count: 0, retweet_count: 0, favorite_count: 0,
      entities: { hashtags: [], urls: long ? [{ url: `https://t.co/bench${i}`, expanded_url: `https://twitter.com/i/web/status/${id}`, display_url: 'twitter.com/i/web/status/1…', indices: [140, 163] }] : [], user_mentions: [mention(to, 0)], symbols: [] },
      favorited: false, retweeted: false, filter_level: 'low', lang: 'en', timestamp_ms: String(m.createdAt),
    });
    if (tweets.length >= perDelivery) flush('tweets');
  });
  flush('tweets');
  flush('dms');
  return out;
}
