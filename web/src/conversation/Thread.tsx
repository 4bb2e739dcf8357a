/**
 * The thread: messages in order with internal notes inline (visually distinct), each
 * marked public/private and by network, with its time and, for replies, delivery state;
 * customers' messages with their triage (summary, "Why?", correction).
 */
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ChannelAccount, Message, Note, User } from '../api/types.js';
import { clip, compactNumber, fullTime, messageTime, useNow } from '../lib/format.js';
import { ExternalLink, safeHref, SafeText } from '../lib/SafeText.js';
import { Avatar, LockIcon, NetworkBadge, VerifiedIcon, VisibilityBadge } from '../ui/bits.js';
import { DeliveryStatus } from './Composer.js';
import { TriageSummary } from './TriagePanel.js';

type Item = { kind: 'message'; at: number; m: Message } | { kind: 'note'; at: number; n: Note };

const ts = (s: string | null) => (s ? Date.parse(s) : 0);

export function Thread({ messages, notes, users, channel, highlightAfter, meId, onModerate, onCorrectTriage }: { messages: Message[]; notes: Note[]; users: Map<number, User>; channel: ChannelAccount | undefined; highlightAfter: number | null; meId: number; onModerate?: (m: Message) => void; onCorrectTriage?: (m: Message) => void }) {
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
            <MessageItem key={`m${it.m.id}`} m={it.m} users={users} channel={channel} now={now} fresh={highlightAfter != null && it.m.id > highlightAfter && it.m.authorUserId !== meId} onModerate={onModerate} onCorrectTriage={onCorrectTriage} />
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

const MessageItem = memo(function MessageItem({ m, users, channel, now, fresh, onModerate, onCorrectTriage }: { m: Message; users: Map<number, User>; channel: ChannelAccount | undefined; now: number; fresh: boolean; onModerate?: (m: Message) => void; onCorrectTriage?: (m: Message) => void }) {
  const out = m.direction === 'outbound';
  const agent = m.authorUserId != null ? users.get(m.authorUserId) : undefined;
  const name = clip(out ? (agent ? agent.name : m.isAuto ? 'Auto-reply' : channel ? `@${channel.handle}` : 'Brand') : m.author?.displayName || (m.author ? `@${m.author.handle}` : 'Unknown'), 200);
  const handle = !out && m.author ? clip(m.author.handle, 100) : null;
  const link = safeHref(m.url);
  return (
    <article className={`msg ${out ? 'msg-out' : 'msg-in'} msg-${m.visibility === 'private' ? 'private' : 'public'}${fresh ? ' msg-fresh' : ''}`} aria-label={`${out ? 'Reply' : 'Message'} from ${name}`} data-message-id={m.id}>
      <Avatar name={out && !agent ? channel?.handle ?? 'Brand' : name} seed={handle ?? name} size="sm" />
      <div className="msg-body">
        <header className="msg-head">
          <span className="msg-author" dir="auto">
            {name}
          </span>
          {m.author?.verified && <VerifiedIcon />}
          {handle && m.author?.displayName && (
            <span className="muted" dir="auto">
              @{handle}
            </span>
          )}
          {out && agent && channel && <span className="muted">as @{channel.handle}</span>}
          <VisibilityBadge visibility={m.visibility} />
          <NetworkBadge network={m.network} />
          {!['mention', 'reply', 'dm'].includes(m.kind) && <span className="badge">{m.kind}</span>}
          {m.isAuto && <span className="badge">auto</span>}
          {fresh && <span className="badge badge-new">New</span>}
          <time className="msg-time" dateTime={m.createdAt ?? undefined} title={fullTime(m.createdAt)}>
            {messageTime(m.createdAt, now)}
          </time>
        </header>
        <div className="msg-text">
          <SafeText text={m.text} />
        </div>
        {!out && m.triage != null && <TriageSummary triage={m.triage} who={name} users={users} onCorrect={onCorrectTriage ? () => onCorrectTriage(m) : undefined} />}
        {(out || link || onModerate) && (
          <footer className="msg-foot">
            {out && m.source === 'agent' && <DeliveryStatus m={m} />}
            {!out && onModerate && (
              <button type="button" className="link-button small msg-moderate" onClick={() => onModerate(m)} aria-label={`Moderate this post by ${name}`}>
                Moderate…
              </button>
            )}
            {link && (
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
