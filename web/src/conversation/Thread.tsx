/**
 * The thread: messages in order with internal notes inline (visually distinct), each
 * marked public/private and by network, with its time and, for replies, delivery state (a sent
 * one links to its post on the network; its raw id only in a tooltip);
 * customers' messages with their triage (summary, "Why?", correction), and what moderation
 * did and has not undone (a hidden or deleted post, a blocked or muted author: who, when)
 * with the action that undoes it.
 */
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ChannelAccount, Message, ModerationState, Note, User } from '../api/types.js';
import { clip, compactNumber, fullTime, messageTime, networkLabel, useNow } from '../lib/format.js';
import { ExternalLink, safeHref, SafeText } from '../lib/SafeText.js';
import { Avatar, LockIcon, NetworkBadge, VerifiedIcon, VisibilityBadge } from '../ui/bits.js';
import { DeliveryStatus } from './Composer.js';
import { hiddenWords, networkHiddenOf, networkRemovedOf, removedWords } from './networkHidden.js';
import { TriageSummary } from './TriagePanel.js';
import type { UndoAction, UndoTarget } from '../workflow/Moderation.js';
import { handleText } from './customerName.js';

type PostModeration = ModerationState['messages'][number];
type AuthorModeration = ModerationState['authors'][number];

type Item = { kind: 'message'; at: number; m: Message } | { kind: 'note'; at: number; n: Note };

const ts = (s: string | null) => (s ? Date.parse(s) : 0);

export function Thread({ messages, notes, users, channel, highlightAfter, meId, onModerate, moderateBlocked, onCorrectTriage, moderation, onUndoModeration }: {
  messages: Message[];
  notes: Note[];
  users: Map<number, User>;
  channel: ChannelAccount | undefined;
  highlightAfter: number | null;
  meId: number;
  onModerate?: (m: Message) => void;
  /** Why I may not moderate (the brand keeps it to some roles): the action shows disabled, with this reason. */
  moderateBlocked?: string;
  onCorrectTriage?: (m: Message) => void;
  /** What moderation did and has not undone: shown on each post it concerns. */
  moderation?: ModerationState;
  /** Offer unhide / unblock / unmute on what moderation did. */
  onUndoModeration?: (t: UndoTarget) => void;
}) {
  const posts = useMemo(() => new Map((moderation?.messages ?? []).map((x) => [x.messageId, x])), [moderation]);
  const authors = useMemo(() => new Map((moderation?.authors ?? []).map((x) => [x.identityId, x])), [moderation]);
  const items = useMemo<Item[]>(() => {
    const all: Item[] = [...messages.map((m) => ({ kind: 'message' as const, at: ts(m.createdAt), m })), ...notes.map((n) => ({ kind: 'note' as const, at: ts(n.createdAt), n }))];
    return all.sort((a, b) => a.at - b.at || (a.kind === 'message' ? a.m.id : a.n.id) - (b.kind === 'message' ? b.m.id : b.n.id));
  }, [messages, notes]);
  const now = useNow();
  const scrollRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [unseen, setUnseen] = useState(0);
  const count = items.length;
  const prevCount = useRef(0);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    if (prevCount.current === 0 || atBottom.current) {
      el.scrollTop = el.scrollHeight;
      setUnseen(0);
    } else if (count > prevCount.current) {
      setUnseen((u) => u + count - prevCount.current);
    }
    prevCount.current = count;
  }, [count]);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onScroll = () => {
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      if (atBottom.current) setUnseen(0);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);

  return (
    <div className="thread-wrap">
      <div className="thread" ref={scrollRef} tabIndex={0} role="log" aria-label="Messages and internal notes" aria-live="off">
        {items.map((it) =>
          it.kind === 'message' ? (
            <MessageItem
              key={`m${it.m.id}`}
              m={it.m}
              users={users}
              channel={channel}
              now={now}
              fresh={highlightAfter != null && it.m.id > highlightAfter && it.m.authorUserId !== meId}
              onModerate={onModerate}
              moderateBlocked={moderateBlocked}
              onCorrectTriage={onCorrectTriage}
              post={it.m.direction === 'inbound' ? posts.get(it.m.id) : undefined}
              author={it.m.direction === 'inbound' && it.m.author ? authors.get(it.m.author.identityId) : undefined}
              onUndoModeration={onUndoModeration}
            />
          ) : (
            <NoteItem key={`n${it.n.id}`} n={it.n} users={users} now={now} />
          ),
        )}
      </div>
      {unseen > 0 && (
        <button
          type="button"
          className="btn btn-small new-below"
          onClick={() => {
            const el = scrollRef.current;
            if (el) el.scrollTop = el.scrollHeight;
            setUnseen(0);
          }}
        >
          {unseen} new ↓
        </button>
      )}
    </div>
  );
}

const MessageItem = memo(function MessageItem({ m, users, channel, now, fresh, onModerate, moderateBlocked, onCorrectTriage, post, author, onUndoModeration }: {
  m: Message;
  users: Map<number, User>;
  channel: ChannelAccount | undefined;
  now: number;
  fresh: boolean;
  onModerate?: (m: Message) => void;
  moderateBlocked?: string;
  onCorrectTriage?: (m: Message) => void;
  post?: PostModeration;
  author?: AuthorModeration;
  onUndoModeration?: (t: UndoTarget) => void;
}) {
  const out = m.direction === 'outbound';
  const agent = m.authorUserId != null ? users.get(m.authorUserId) : undefined;
  const name = clip(out ? (agent ? agent.name : m.isAuto ? 'Auto-reply' : channel ? `@${channel.handle}` : 'Brand') : m.author?.displayName || (m.author ? handleText(m.network, m.author.handle) : 'Unknown'), 200);
  const handle = !out && m.author ? clip(m.author.handle, 100) : null;
  const link = safeHref(m.url);
  const hidden = m.redacted ? null : networkHiddenOf(m);
  const removed = out && !m.redacted ? networkRemovedOf(m) : null;
  return (
    <article className={`msg ${out ? 'msg-out' : 'msg-in'} msg-${m.visibility === 'private' ? 'private' : 'public'}${fresh ? ' msg-fresh' : ''}${post?.deleted || post?.hidden ? ' msg-moderated' : ''}`} aria-label={`${out ? 'Reply' : 'Message'} from ${name}`} data-message-id={m.id}>
      <Avatar name={out && !agent ? channel?.handle ?? 'Brand' : name} seed={handle ?? name} size="sm" />
      <div className="msg-body">
        <header className="msg-head">
          <span className="msg-author" dir="auto">
            {name}
          </span>
          {m.author?.verified && <VerifiedIcon />}
          {handle && m.author?.displayName && (
            <span className="muted" dir="auto">
              {handleText(m.network, handle)}
            </span>
          )}
          {out && agent && channel && <span className="muted">as @{channel.handle}</span>}
          <VisibilityBadge visibility={m.visibility} />
          <NetworkBadge network={m.network} />
          {!['mention', 'reply', 'dm'].includes(m.kind) && <span className="badge">{m.kind}</span>}
          {m.isAuto && <span className="badge">auto</span>}
          {fresh && <span className="badge badge-new">New</span>}
          <time className="msg-time" dateTime={m.createdAt ?? undefined} title={m.originalSentAt ? `Received ${fullTime(m.createdAt)}; it said it was sent ${fullTime(m.originalSentAt)}, which cannot be right` : fullTime(m.createdAt)}>
            {messageTime(m.createdAt, now)}
          </time>
        </header>
        {!out && hidden && (
          <p className="msg-network-hidden" role="note">
            <span className="badge badge-warn" title={`Since ${fullTime(hidden.since)}`}>{hiddenWords(m.network, hidden)}</span>
          </p>
        )}
        {removed && (
          <p className="msg-network-hidden" role="note">
            <span className="badge badge-warn" title={`Since ${fullTime(removed.since)}`}>{removedWords(m.network, removed)}</span>
          </p>
        )}
        {(post || author) && <ModerationMarks m={m} name={name} post={post} author={author} users={users} now={now} onUndo={onUndoModeration} />}
        <div className="msg-text">
          {m.redacted ? <em className="muted">{m.redacted === 'erasure' ? 'Erased on request' : m.redacted === 'deleted_by_brand' ? 'Deleted by the brand (moderation)' : m.redacted === 'deleted' ? 'Deleted on the network (our delete went unanswered; its author may have deleted it)' : m.redacted === 'deleted_or_removed' ? `No longer on ${networkLabel(m.network)}: deleted by its author, or removed by moderators or by the brand in ${networkLabel(m.network)}'s own app (the network does not say which)` : 'Deleted by its author'}</em> : <SafeText text={m.text} />}
        </div>
        {!out && m.triage != null && <TriageSummary triage={m.triage} who={name} users={users} onCorrect={onCorrectTriage ? () => onCorrectTriage(m) : undefined} />}
        {(out || link || onModerate) && (
          <footer className="msg-foot">
            {out && m.source === 'agent' && (m.status === 'sent' ? <SentState m={m} link={link} /> : <DeliveryStatus m={m} />)}
            {!out && onModerate && !moderateBlocked && (
              <button type="button" className="link-button small msg-moderate" onClick={() => onModerate(m)} aria-label={`Moderate this post by ${name}`}>
                Moderate…
              </button>
            )}
            {!out && onModerate && moderateBlocked && (
              <>
                <button type="button" className="link-button small msg-moderate" disabled aria-label={`Moderate this post by ${name}`} aria-describedby={`mod-why-${m.id}`} title={moderateBlocked}>
                  Moderate…
                </button>
                <span id={`mod-why-${m.id}`} className="muted small msg-moderate-why">
                  {moderateBlocked}
                </span>
              </>
            )}
            {link && !(out && m.source === 'agent' && m.status === 'sent') && (
              <ExternalLink href={link} className="small">
                View on network: {link}
              </ExternalLink>
            )}
          </footer>
        )}
        {!out && m.author?.followers != null && m.author.followers >= 10_000 && <span className="badge badge-warn">{compactNumber(m.author.followers)} followers</span>}
      </div>
    </article>
  );
});

/**
 * A sent reply: "Sent ✓", and "View on <Network>" when the network gave its post an address. Its
 * id on the network means nothing to an agent: it stays in the tooltip (and the raw payload).
 */
function SentState({ m, link }: { m: Message; link: string | null }) {
  return (
    <>
      <span className="delivery-state ok" title={m.networkMessageId ? `Sent; its id on ${networkLabel(m.network)}: ${clip(m.networkMessageId, 200)}` : 'Sent'}>
        Sent ✓
      </span>
      {link && (
        <ExternalLink href={link} className="small msg-sent-link">
          View on {networkLabel(m.network)}
        </ExternalLink>
      )}
    </>
  );
}

const NoteItem = memo(function NoteItem({ n, users, now }: { n: Note; users: Map<number, User>; now: number }) {
  const author = users.get(n.authorUserId)?.name ?? `User ${n.authorUserId}`;
  return (
    <article className="note" aria-label={`Internal note from ${author}`}>
      <div className="note-head">
        <LockIcon /> <strong>Internal note</strong> · {author}
        {n.mentions.length > 0 && <span className="muted"> · mentions {n.mentions.map((id) => users.get(id)?.name ?? `#${id}`).join(', ')}</span>}
        <time className="msg-time" dateTime={n.createdAt ?? undefined} title={fullTime(n.createdAt)}>
          {messageTime(n.createdAt, now)}
        </time>
      </div>
      <div className="msg-text">
        <SafeText text={n.text} />
      </div>
    </article>
  );
});

/** One thing moderation did and has not undone, and the action that undoes it. */
interface Mark {
  kind: 'deleted' | 'hidden' | 'blocked' | 'restricted' | 'muted';
  what: string;
  at: string;
  byUserId: number;
  undo?: { action: UndoAction; label: string; name: string };
}

/**
 * "Hidden by Ana · 10:42", "Author blocked by Ana · 10:42" on the post: what the network
 * shows (or no longer shows) of it and its author, with Unhide… / Unblock… / Unmute….
 * A deleted post cannot come back: it has no undo.
 */
function ModerationMarks({ m, name, post, author, users, now, onUndo }: { m: Message; name: string; post?: PostModeration; author?: AuthorModeration; users: Map<number, User>; now: number; onUndo?: (t: UndoTarget) => void }) {
  const marks: Mark[] = [];
  if (post?.deleted) marks.push({ kind: 'deleted', what: 'Deleted on the network', at: post.at, byUserId: post.byUserId });
  else if (post?.hidden) marks.push({ kind: 'hidden', what: 'Hidden', at: post.at, byUserId: post.byUserId, undo: { action: 'unhide', label: 'Unhide…', name: `Unhide this post by ${name}` } });
  if (author?.blocked) marks.push({ kind: 'blocked', what: 'Author blocked', at: author.at, byUserId: author.byUserId, undo: { action: 'unblock', label: 'Unblock…', name: `Unblock ${name}` } });
  if (author?.restricted) marks.push({ kind: 'restricted', what: 'Author restricted', at: author.at, byUserId: author.byUserId, undo: { action: 'unrestrict', label: 'Unrestrict…', name: `Unrestrict ${name}` } });
  if (author?.muted) marks.push({ kind: 'muted', what: 'Author muted', at: author.at, byUserId: author.byUserId, undo: { action: 'unmute', label: 'Unmute…', name: `Unmute ${name}` } });
  if (!marks.length) return null;
  return (
    <ul className="plain-list msg-moderation" aria-label="Moderation">
      {marks.map((k) => {
        const by = clip(users.get(k.byUserId)?.name ?? 'a colleague', 120);
        return (
          <li key={k.kind} data-moderation={k.kind}>
            <span className={`badge ${k.kind === 'deleted' || k.kind === 'blocked' ? 'badge-danger' : 'badge-warn'} moderation-mark`}>
              {k.what} by {by} ·{' '}
              <time dateTime={k.at} title={fullTime(k.at)}>
                {messageTime(k.at, now)}
              </time>
            </span>
            {k.undo && onUndo && (
              <button type="button" className="link-button small" aria-label={k.undo.name} onClick={() => onUndo({ message: m, action: k.undo!.action, since: { at: k.at, byUserId: k.byUserId } })}>
                {k.undo.label}
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
