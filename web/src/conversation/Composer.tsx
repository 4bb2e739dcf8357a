/**
 * The composer: reply publicly, privately, or write an internal note.
 *
 * - A live length counter with the network's own rules (X weighted like twitter-text v3,
 *   Bluesky graphemes, ...), and an offer to split a too-long reply into a thread whose
 *   parts are sent one after another, each replying to the previous.
 * - Every send carries an idempotency key (a double click or a retry never posts twice)
 *   and the newest message the agent had seen when they started writing: if someone
 *   wrote since, the server answers 409 with the new messages, shown here to confirm.
 * - The reply's journey (queued → sending → sent, or failed with the reason) shows live.
 * - Drafts are the signed-in person's, per conversation, in this tab's sessionStorage: they
 *   survive a reload, go when sent, and go on sign-out (or when someone else signs in on the
 *   tab). While one exists, leaving the page asks first.
 */
import { SignOffWaitNotice } from '../workflow/SignOffWait.js';
import { forwardRef, useEffect, useId, useImperativeHandle, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { ApiError, newIdempotencyKey } from '../api/client.js';
import { keys, useAddNote, useReply } from '../api/queries.js';
import type { Conversation, ConversationDetail, Message, User } from '../api/types.js';
import { measureReply, splitReply, unitLabel } from '../lib/length.js';
import { clip, networkLabel, plain } from '../lib/format.js';
import { handleText } from './customerName.js';
import { SafeText } from '../lib/SafeText.js';
import { hiddenWords, networkHiddenOf, privateReaches } from './networkHidden.js';
import { useToast } from '../ui/Toasts.js';
import { useTakePrivate, useWithdrawDraft } from '../api/workflow.js';
import type { ApprovalReason, ReplyCheck } from '../api/types.js';
import { blocking, ChecksList, useReplyChecks } from '../workflow/ReplyChecks.js';
import { SnippetPicker } from '../workflow/Snippets.js';
import { FormError } from '../ui/DialogButtons.js';

export type ComposerMode = 'public' | 'private' | 'note';

export interface ComposerHandle {
  focus(mode?: ComposerMode): void;
}

/**
 * Text for the reply draft of a conversation, from elsewhere on its page (an expert's answer:
 * workflow/Experts.tsx): added to the end of the agent's reply draft as their own words to
 * edit — the composer switches from a note to the reply — and never sent by itself.
 */
const COMPOSER_INSERT = 'parley:composer-insert';
interface ComposerInsert {
  conversationId: number;
  text: string;
  /** Set by the composer of that conversation when it took the text. */
  taken?: boolean;
}

/** Add `text` to the reply draft of the conversation on screen; whether its composer took it. */
export function insertIntoReply(conversationId: number, text: string): boolean {
  const detail: ComposerInsert = { conversationId, text };
  window.dispatchEvent(new CustomEvent(COMPOSER_INSERT, { detail }));
  return detail.taken === true;
}

/** A draft with `add` after what is already written, a blank line between. */
export function withAppended(draft: string, add: string): string {
  const before = draft.replace(/\s+$/, '');
  return before ? `${before}\n\n${add}` : add;
}

interface Draft {
  text: string;
  key: string;
  /** Newest message id seen when the draft was started. */
  seen: number | null;
}

// ---------------------------------------------------------------- drafts

/**
 * Drafts by `<userId>:<conversationId>:<reply|note>`: in memory, and written through to this
 * tab's sessionStorage so a reload keeps them (the memory copy alone when storage is
 * unavailable or full). Another person's drafts are never read: the user id is in the key,
 * and sign-out (or someone else signing in on this tab) forgets them all.
 */
const DRAFT_PREFIX = 'parley.draft:';
const drafts = new Map<string, Draft>();
const KEY_SHAPE = /^[\w.:-]{8,100}$/;

function tabStorage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null;
  }
}

function loadDraft(id: string): Draft | null {
  const mem = drafts.get(id);
  if (mem) return mem;
  try {
    const raw = tabStorage()?.getItem(DRAFT_PREFIX + id);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<Draft> | null;
    if (!v || typeof v.text !== 'string' || v.text === '') return null;
    const d: Draft = { text: v.text, key: typeof v.key === 'string' && KEY_SHAPE.test(v.key) ? v.key : newIdempotencyKey(), seen: Number.isSafeInteger(v.seen) ? (v.seen as number) : null };
    drafts.set(id, d);
    return d;
  } catch {
    return null;
  }
}

function saveDraft(id: string, d: Draft): void {
  if (d.text === '') return dropDraft(id);
  drafts.set(id, d);
  try {
    tabStorage()?.setItem(DRAFT_PREFIX + id, JSON.stringify(d));
  } catch {
    /* storage full or unavailable: the memory copy still survives switching conversations */
  }
}

function dropDraft(id: string): void {
  drafts.delete(id);
  try {
    tabStorage()?.removeItem(DRAFT_PREFIX + id);
  } catch {
    /* nothing stored */
  }
}

function storedDraftKeys(): string[] {
  const s = tabStorage();
  const out: string[] = [];
  try {
    for (let i = 0; s && i < s.length; i++) {
      const k = s.key(i);
      if (k?.startsWith(DRAFT_PREFIX)) out.push(k);
    }
  } catch {
    /* unavailable */
  }
  return out;
}

/** Forget every draft of this tab (sign-out, or another person signing in). */
export function forgetDrafts(): void {
  drafts.clear();
  const s = tabStorage();
  for (const k of storedDraftKeys()) {
    try {
      s?.removeItem(k);
    } catch {
      /* unavailable */
    }
  }
}

/** Whether any unsent draft would be lost with this tab. */
function hasUnsentDraft(): boolean {
  for (const d of drafts.values()) if (d.text.trim()) return true;
  return storedDraftKeys().length > 0;
}

if (typeof window !== 'undefined') {
  // signedOut() (api/queries.ts) and a different person signing in (shell/LoginPage.tsx) announce
  // this; a session that merely expired keeps the drafts for the same person signing in again
  window.addEventListener('parley:signed-out', (e) => {
    if ((e as CustomEvent<{ why?: string }>).detail?.why !== 'expired') forgetDrafts();
  });
  // a reload keeps the drafts, closing the tab would not: ask first
  window.addEventListener('beforeunload', (e) => {
    if (!hasUnsentDraft()) return;
    e.preventDefault();
    e.returnValue = '';
  });
}

/** The "n/m" suffixes splitReply added, taken off again (the parts left over are renumbered when sent). */
function unnumbered(parts: string[], numbered: boolean): string[] {
  if (!numbered) return parts;
  return parts.map((p, k) => {
    const suffix = ` ${k + 1}/${parts.length}`;
    return p.endsWith(suffix) ? p.slice(0, -suffix.length) : p;
  });
}

/**
 * The message a public reply answers, as the server picks it (src/commands/conversations.ts,
 * `reply`): the customer's latest public message, one of their own before an automatic one.
 */
function publicReplyTarget(messages: Message[]): Message | null {
  const later = (x: Message, a: Message) => (x.isAuto !== a.isAuto ? !x.isAuto : (x.createdAt ?? '') !== (a.createdAt ?? '') ? (x.createdAt ?? '') > (a.createdAt ?? '') : x.id > a.id);
  return messages.reduce<Message | null>((a, x) => (x.direction === 'inbound' && x.visibility === 'public' && (!a || later(x, a)) ? x : a), null);
}

/** Who wrote a message that arrived while the agent was writing. */
function conflictAuthor(x: Message, users: Map<number, User>): string {
  if (x.direction === 'inbound') {
    if (!x.author) return 'The customer';
    const handle = handleText(x.network, clip(x.author.handle, 100));
    return x.author.displayName ? `${clip(x.author.displayName, 100)} (${handle})` : handle;
  }
  if (x.authorUserId != null) return clip(users.get(x.authorUserId)?.name ?? 'A colleague', 100);
  return x.isAuto ? 'Auto-reply' : 'Brand';
}

interface Props {
  conversation: Conversation;
  messages: Message[];
  users: Map<number, User>;
  meId: number;
  onTyping: () => void;
  /** The handle of the conversation's account when it is listen-only: Parley never sends from it. */
  listenOnly?: string | null;
}

// where a thread stops waiting for a part: sent, not sent, or waiting for a person (sign-off)
const FINAL = new Set(['sent', 'failed', 'rejected', 'withdrawn', 'pending_approval']);

/** Resolves when the message reaches a final state, or waits for sign-off (or after the timeout). */
function waitForFinal(qc: QueryClient, conversationId: number, messageId: number, timeoutMs = 60_000): Promise<Message | null> {
  const find = () => qc.getQueryData<ConversationDetail>(keys.detail(conversationId))?.messages.find((m) => m.id === messageId) ?? null;
  return new Promise((resolve) => {
    const now = find();
    if (now && FINAL.has(now.status)) return resolve(now);
    const timer = setTimeout(() => (unsub(), resolve(find())), timeoutMs);
    const unsub = qc.getQueryCache().subscribe(() => {
      const m = find();
      if (m && FINAL.has(m.status)) {
        clearTimeout(timer);
        unsub();
        resolve(m);
      }
    });
  });
}

export const Composer = forwardRef<ComposerHandle, Props>(function Composer({ conversation, messages, users, meId, onTyping, listenOnly }, ref) {
  const qc = useQueryClient();
  const toast = useToast();
  const reply = useReply();
  const withdraw = useWithdrawDraft();
  const addNote = useAddNote();
  const id = useId();
  const taRef = useRef<HTMLTextAreaElement>(null);
  const convId = conversation.id;
  const defaultMode: ComposerMode = conversation.visibility === 'private' ? 'private' : 'public';
  const [mode, setMode] = useState<ComposerMode>(defaultMode);
  const draftKey = `${meId}:${convId}:${mode === 'note' ? 'note' : 'reply'}`;
  const [draft, setDraftState] = useState<Draft>(() => loadDraft(draftKey) ?? { text: '', key: newIdempotencyKey(), seen: null });
  // the draft on screen: a send that finishes after the agent moved on updates the stored draft only
  const shownKey = useRef(draftKey);
  shownKey.current = draftKey;
  const [conflict, setConflict] = useState<Message[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [threadOpen, setThreadOpen] = useState(false);
  // "Split into a thread" goes away while the preview is open, "Cancel split" with it: focus
  // moves to what took their place (the preview; the split link again), never to the page
  const splitRef = useRef<HTMLButtonElement>(null);
  const previewRef = useRef<HTMLDivElement>(null);
  const focusAfterSplit = useRef<'preview' | 'split' | null>(null);
  useEffect(() => {
    const to = focusAfterSplit.current;
    focusAfterSplit.current = null;
    if (to === 'preview') previewRef.current?.focus();
    else if (to === 'split') (splitRef.current ?? taRef.current)?.focus();
  }, [threadOpen]);
  const [numbering, setNumbering] = useState(true);
  const [sending, setSending] = useState(false);
  const [tracked, setTracked] = useState<{ ids: number[]; approval: ApprovalReason[] | null; checks?: ReplyCheck[] }>({ ids: [], approval: null });
  const [sendChecks, setSendChecks] = useState<{ forText: string; results: ReplyCheck[] } | null>(null);
  const [snippetsOpen, setSnippetsOpen] = useState(false);
  // a snippet inserted, the picker closes and its dialog hands focus back to the button that opened
  // it; the agent goes on writing, so the reply box takes it after that (this effect runs after
  // the dialog's own, its child's; a frame later could come before it, and leave focus on the button)
  const snippetInserted = useRef(false);
  useEffect(() => {
    if (snippetsOpen || !snippetInserted.current) return;
    snippetInserted.current = false;
    taRef.current?.focus();
  }, [snippetsOpen]);
  const takePrivate = useTakePrivate();
  // one key per offer: a double click, or a retry after an error, is the same offer and posts once
  const privateKey = useRef<string | null>(null);
  useEffect(() => {
    privateKey.current = null;
  }, [convId]);

  useEffect(() => {
    setDraftState(loadDraft(draftKey) ?? { text: '', key: newIdempotencyKey(), seen: null });
    setConflict(null);
    setError(null);
    setThreadOpen(false);
  }, [draftKey]);

  const newestSeen = useMemo(() => messages.reduce((mx, m) => Math.max(mx, m.id), 0) || null, [messages]);
  /** Store a draft, and show it if it is still the one on screen. */
  const setDraftFor = (k: string, d: Draft) => {
    saveDraft(k, d);
    if (shownKey.current === k) setDraftState(d);
  };
  const setDraft = (d: Draft) => setDraftFor(draftKey, d);
  const setText = (text: string) => {
    setDraft({ ...draft, text, seen: draft.text === '' || draft.seen == null ? newestSeen : draft.seen });
    if (text) onTyping();
  };

  useImperativeHandle(ref, () => ({
    focus(m?: ComposerMode) {
      if (m) setMode(m);
      // focus now, so the keys typed right after the shortcut land in the draft (the
      // shortcut's own keydown is default-prevented, so it is not typed); once more after
      // the next paint in case the textarea was re-rendered by the mode change
      taRef.current?.focus();
      requestAnimationFrame(() => {
        if (taRef.current && document.activeElement !== taRef.current && (document.activeElement === document.body || document.activeElement == null)) taRef.current.focus();
      });
    },
  }));

  const text = draft.text;
  const isNote = mode === 'note';
  // on Mastodon the customer's @acct goes in front of what is posted: counted, and room left in each part
  const customerHandle = conversation.contact?.handle ?? null;
  const m = useMemo(() => (isNote ? null : measureReply(conversation.network, mode as 'public' | 'private', text, customerHandle)), [isNote, conversation.network, mode, text, customerHandle]);
  const parts = useMemo(() => (threadOpen && m?.over ? splitReply(conversation.network, mode as 'public' | 'private', text, numbering, customerHandle) : []), [threadOpen, m?.over, conversation.network, mode, text, numbering, customerHandle]);
  const blank = text.trim() === '';
  const noteTooLong = isNote && text.length > 20_000;
  const visibility: 'public' | 'private' = mode === 'private' ? 'private' : 'public';
  // Live checks (not for notes, and not for a too-long draft: the thread split has its own preview).
  const checks = useReplyChecks(convId, text, visibility, !isNote && !blank);
  const shownChecks: ReplyCheck[] = isNote || blank ? [] : checks.results && checks.forText === text ? checks.results : sendChecks && sendChecks.forText === text ? sendChecks.results : checks.results ?? [];
  // The split thread is checked part by part by the server; the length block is the counter's job here.
  const blocks = blocking(shownChecks).filter((r) => !(r.code === 'reply.too_long' && m?.over));
  const warnings = shownChecks.filter((r) => r.severity === 'warn');

  const handle = conversation.contact?.handle;
  // the handle is the customer's own text: direction overrides and control codes shown, not obeyed;
  // written as their network writes it (customerName.ts): `@handle`, an email address as it is
  const to = handle ? ` to ${handleText(conversation.network, clip(handle, 100))}` : '';
  const label = isNote ? 'Internal note (only your team sees it; @name notifies a colleague)' : mode === 'public' ? `Public reply${to} on ${networkLabel(conversation.network)}` : `Private message${to}`;

  /** Sent: the draft goes (from storage too); `k` is the draft that was sent. */
  const finish = (k: string = draftKey) => {
    dropDraft(k);
    if (shownKey.current !== k) return;
    setDraftState({ text: '', key: newIdempotencyKey(), seen: null });
    setConflict(null);
    setError(null);
    setThreadOpen(false);
  };

  const fail = (err: unknown, k: string = draftKey) => {
    if (err instanceof ApiError && err.code === 'reply.key_reused') {
      // this send's key already stands for another reply (one sent earlier with other text):
      // never reuse it; a new key makes the next send this text's own reply
      const d = loadDraft(k);
      if (d) setDraftFor(k, { ...d, key: newIdempotencyKey() });
      else if (shownKey.current === k) setDraftState((x) => ({ ...x, key: newIdempotencyKey() }));
      if (shownKey.current === k) setError('An earlier reply already went out with this send (see the conversation). Your text is still here: send again to post it as a new reply.');
      return;
    }
    if (shownKey.current !== k) return;
    if (err instanceof ApiError && err.code === 'reply.conflict') {
      const fresh = (err.body.newMessages as Message[] | undefined) ?? [];
      setConflict(fresh);
      // show them in the thread too
      qc.setQueryData<ConversationDetail>(keys.detail(convId), (d) => {
        if (!d) return d;
        const have = new Set(d.messages.map((x) => x.id));
        const add = fresh.filter((x) => !have.has(x.id));
        return add.length ? { ...d, messages: [...d.messages, ...add].sort((a, b) => Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? '') || a.id - b.id) } : d;
      });
      return;
    }
    if (err instanceof ApiError && Array.isArray(err.body.checks)) {
      setSendChecks({ forText: text, results: err.body.checks as ReplyCheck[] });
      return;
    }
    setError(err instanceof Error ? err.message : String(err));
  };

  const sendNote = () => {
    const k = draftKey;
    addNote.mutate(
      { id: convId, text },
      {
        onSuccess: () => {
          finish(k);
          toast('Note added');
        },
        onError: (err) => fail(err, k),
      },
    );
  };

  const sendReply = async (confirm: boolean) => {
    const k = draftKey;
    setSending(true);
    setError(null);
    try {
      const r = await reply.mutateAsync({ id: convId, text, visibility: mode as 'public' | 'private', idempotencyKey: draft.key, lastSeenMessageId: draft.seen ?? newestSeen, confirm });
      const waits = r.approval ? r.approval.reasons : r.message.status === 'pending_approval' ? [] : null;
      if (shownKey.current === k) setTracked({ ids: [r.message.id], approval: waits, checks: (r.checks ?? []).filter((x) => x.severity !== 'hint') });
      finish(k);
    } catch (err) {
      fail(err, k);
    } finally {
      setSending(false);
    }
  };

  /** What the composer says when a part of a thread waits for sign-off and `left` parts after it were not sent. */
  const waitsNote = (i: number, left: number) =>
    `Part ${i + 1} waits for approval. ${left === 1 ? 'The last part was not sent: it is in the composer, ready to send as a reply of its own.' : `The other ${left} parts were not sent: they are in the composer, ready to send as a thread of their own.`}`;

  /**
   * A thread: each part replies to the previous one once that one is sent. When a part waits
   * for sign-off (or is not sent) the parts after it stay in the composer as a draft of their
   * own: a new idempotency key (the next send is a new thread, never the old parts again) and
   * without the old "n/m" numbering (the split numbers them afresh).
   */
  const sendThread = async (confirm: boolean) => {
    if (!parts.length) return;
    const k = draftKey;
    const base = draft;
    const sentParts = parts;
    const plainParts = unnumbered(sentParts, numbering);
    setSending(true);
    setError(null);
    const ids: number[] = [];
    let prev: number | null = null;
    const track = (approval: ApprovalReason[] | null) => shownKey.current === k && setTracked({ ids: [...ids], approval });
    const keepRest = (from: number, why: string) => {
      setDraftFor(k, { text: plainParts.slice(from).join('\n\n'), key: newIdempotencyKey(), seen: base.seen });
      if (shownKey.current === k) setError(why);
    };
    try {
      for (let i = 0; i < sentParts.length; i++) {
        const r = await reply.mutateAsync({
          id: convId, text: sentParts[i]!, visibility: mode as 'public' | 'private', idempotencyKey: `${base.key}.p${i + 1}`,
          lastSeenMessageId: base.seen ?? newestSeen, confirm: confirm || i > 0, replyToMessageId: prev,
        });
        ids.push(r.message.id);
        // a repeated send answers with the stored part: one waiting for sign-off says so by its status
        const waits = r.approval ? r.approval.reasons : r.message.status === 'pending_approval' ? [] : null;
        track(waits);
        const left = sentParts.length - i - 1;
        if (waits) {
          if (left > 0) keepRest(i + 1, waitsNote(i, left));
          else finish(k);
          return;
        }
        if (left > 0) {
          const done = await waitForFinal(qc, convId, r.message.id);
          if (done?.status === 'pending_approval') {
            track([]);
            keepRest(i + 1, waitsNote(i, left));
            return;
          }
          if (!done || done.status !== 'sent') {
            keepRest(i + 1, `Part ${i + 1} was not sent (${done?.error ?? done?.status ?? 'timed out'}); the rest are still in the composer.`);
            return;
          }
        }
        prev = r.message.id;
      }
      finish(k);
    } catch (err) {
      // the draft keeps its key: sending again resumes the thread (the parts already stored
      // answer as duplicates, each part's key is its own)
      fail(err, k);
    } finally {
      setSending(false);
    }
  };

  const listenBlocked = !isNote && !!listenOnly;
  // a warning (not a block) when the network hides the post a public reply answers
  const answered = useMemo(() => publicReplyTarget(messages), [messages]);
  const answeredHidden = mode === 'public' && answered ? networkHiddenOf(answered) : null;
  const canSend = !listenBlocked && !blank && !sending && !addNote.isPending && !noteTooLong && (isNote || !m?.over || parts.length > 0) && (isNote || blocks.length === 0);

  /** Personal data in a public draft: invite a private message publicly, and keep the draft for the private reply. */
  const goPrivate = () => {
    setError(null);
    privateKey.current ??= newIdempotencyKey();
    takePrivate.mutate(
      { id: convId, reason: 'personal_data', idempotencyKey: privateKey.current },
      {
        onSuccess: (r) => {
          privateKey.current = null;
          setTracked({ ids: [r.message.id], approval: r.approval ? r.approval.reasons : null });
          setMode('private');
          toast('Invited them to a private message. Your draft is now a private reply.');
          requestAnimationFrame(() => taRef.current?.focus());
        },
        onError: (err) => setError(err instanceof Error ? err.message : String(err)),
      },
    );
  };

  // text from elsewhere on the page (insertIntoReply) goes to the end of the reply draft, the
  // reply box focused with the caret after it; from a note, the reply takes the note's place
  const caretToEnd = useRef(false);
  useEffect(() => {
    if (!caretToEnd.current || !taRef.current) return;
    caretToEnd.current = false;
    const ta = taRef.current;
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }, [draft]);
  const appendToReply = useRef<(add: string) => void>(() => undefined);
  appendToReply.current = (add: string) => {
    caretToEnd.current = true;
    if (!isNote) return setText(withAppended(text, add));
    const replyKey = `${meId}:${convId}:reply`;
    const d = loadDraft(replyKey) ?? { text: '', key: newIdempotencyKey(), seen: null };
    saveDraft(replyKey, { ...d, text: withAppended(d.text, add), seen: d.text === '' || d.seen == null ? newestSeen : d.seen });
    setMode(defaultMode);
  };
  useEffect(() => {
    const take = (e: Event) => {
      const d = (e as CustomEvent<ComposerInsert>).detail;
      if (!d || d.conversationId !== convId || typeof d.text !== 'string') return;
      d.taken = true;
      appendToReply.current(d.text);
    };
    window.addEventListener(COMPOSER_INSERT, take);
    return () => window.removeEventListener(COMPOSER_INSERT, take);
  }, [convId]);

  const insertText = (snippet: string) => {
    const ta = taRef.current;
    const start = ta?.selectionStart ?? text.length;
    const end = ta?.selectionEnd ?? text.length;
    const before = text.slice(0, start);
    const sep = before && !/\s$/.test(before) ? ' ' : '';
    const next = `${before}${sep}${snippet}${text.slice(end)}`;
    setText(next);
    requestAnimationFrame(() => {
      if (!taRef.current) return;
      const at = before.length + sep.length + snippet.length;
      taRef.current.focus();
      taRef.current.setSelectionRange(at, at);
    });
  };
  const send = (confirm = false) => {
    if (!canSend) return;
    // the Send button (or "Send anyway") is disabled while sending and gone with the conflict:
    // focus goes to the reply box, where the next reply is written, not to the page
    if (document.activeElement !== taRef.current) taRef.current?.focus();
    if (isNote) sendNote();
    else if (m?.over && parts.length) void sendThread(confirm);
    else if (!m?.over) void sendReply(confirm);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      taRef.current?.blur();
    }
  };

  const trackedMessages = tracked.ids.map((mid) => messages.find((x) => x.id === mid)).filter((x): x is Message => !!x);

  return (
    <div className={`composer composer-${mode}`}>
      <div className="composer-tabs" role="group" aria-label="Reply type">
        <button type="button" aria-pressed={mode === 'public'} onClick={() => setMode('public')} disabled={conversation.visibility === 'private'} title={conversation.visibility === 'private' ? 'This conversation is private' : 'Reply publicly (r)'}>
          Public reply
        </button>
        <button type="button" aria-pressed={mode === 'private'} onClick={() => setMode('private')} title="Reply privately (p)">
          Private message
        </button>
        <button type="button" aria-pressed={mode === 'note'} onClick={() => setMode('note')} title="Internal note (n)">
          Internal note
        </button>
        <span className="spacer" />
        <button type="button" className="composer-tool" onClick={() => setSnippetsOpen(true)} aria-haspopup="dialog">
          Insert snippet…
        </button>
      </div>
      {listenBlocked && (
        <p className="composer-listen-only" role="note">
          @{plain(listenOnly)} is in listen-only mode: Parley never sends from it. Add an internal note, or ask an admin to change it in Settings → Channels.
        </p>
      )}
      {answeredHidden && answered && (
        <p className="composer-listen-only composer-network-hidden" role="note">
          {hiddenWords(answered.network, answeredHidden)}. A public reply would answer a post nobody else can see.{' '}
          {privateReaches(answeredHidden) ? (
            <>
              A private message still reaches its author:{' '}
              <button type="button" className="link-button" onClick={() => setMode('private')}>
                reply privately instead
              </button>
              .
            </>
          ) : (
            'A private message would not reach its author either while this lasts; an internal note keeps the team informed.'
          )}
        </p>
      )}
      {conflict && (
        <div className="conflict" role="alert">
          <strong>
            {conflict.length} new message{conflict.length === 1 ? '' : 's'} arrived while you were writing.
          </strong>
          <ul className="plain-list">
            {conflict.map((x) => (
              <li key={x.id}>
                <span className="muted conflict-author" data-direction={x.direction}>{conflictAuthor(x, users)}:</span> <SafeText text={x.text} />
              </li>
            ))}
          </ul>
          <div className="row-gap">
            <button type="button" className="btn btn-primary btn-small" onClick={() => send(true)} disabled={!canSend}>
              Send anyway
            </button>
            <button type="button" className="btn btn-small" onClick={() => (setConflict(null), setDraft({ ...draft, seen: newestSeen }), taRef.current?.focus())}>
              Edit my reply first
            </button>
          </div>
        </div>
      )}
      <label htmlFor={`${id}-text`} className="composer-label">
        {label}
      </label>
      <textarea
        id={`${id}-text`}
        ref={taRef}
        className="composer-text"
        rows={3}
        value={text}
        placeholder={isNote ? 'Write a note for your team…' : 'Write your reply…  (Ctrl+Enter to send)'}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={`${id}-count ${id}-checks`}
        aria-invalid={m?.over || noteTooLong ? true : undefined}
      />
      <div className="composer-foot">
        <span id={`${id}-count`} className={`counter${m?.over || noteTooLong ? ' over' : m && m.remaining < 20 ? ' near' : ''}`} title={m ? unitLabel(m) : undefined}>
          {m ? (
            <>
              {m.length.toLocaleString()} / {m.limit.toLocaleString()}
              {m.maxBytes != null && m.bytes != null && m.bytes > m.maxBytes * 0.8 ? ` · ${m.bytes.toLocaleString()}/${m.maxBytes.toLocaleString()} bytes` : ''}
              <span className="visually-hidden"> {unitLabel(m)}</span>
            </>
          ) : (
            `${text.length.toLocaleString()} / 20,000`
          )}
        </span>
        {m?.over && (
          <span className="over-msg">
            Too long for {networkLabel(conversation.network)} by {Math.max(1, Math.round(-m.remaining)).toLocaleString()}.{' '}
            {!threadOpen && (
              <button type="button" className="link-button" ref={splitRef} onClick={() => ((focusAfterSplit.current = 'preview'), setThreadOpen(true))}>
                Split into a thread
              </button>
            )}
          </span>
        )}
        <span className="spacer" />
        <button type="button" className="btn btn-primary" onClick={() => send()} disabled={!canSend} title={blocks.length ? `Cannot send: ${blocks.map((b) => b.message).join('; ')}` : undefined}>
          {sending ? 'Sending…' : isNote ? 'Add note' : m?.over && parts.length ? `Send thread of ${parts.length}` : mode === 'public' ? 'Send reply' : 'Send privately'}
        </button>
      </div>
      <span className="visually-hidden" aria-live="polite" data-composer-live="">
        {m?.over ? `Over the ${networkLabel(conversation.network)} limit by ${Math.round(-m.remaining)}` : ''}
        {/* near the limit: said once on entering the last 20 (not on every key, like the counter) */}
        {m && !m.over && m.remaining < 20 ? `Fewer than 20 characters left of ${m.limit.toLocaleString()}` : ''}
        {noteTooLong ? 'The note is longer than 20,000 characters' : ''}
        {blocks.length ? ` Cannot send: ${blocks.map((b) => b.message).join('; ')}` : ''}
        {warnings.length ? ` Check: ${warnings.map((w) => w.message).join('; ')}` : ''}
      </span>
      <div id={`${id}-checks`}>
        <ChecksList results={shownChecks} visibility={visibility} onTakePrivate={goPrivate} takingPrivate={takePrivate.isPending} />
      </div>
      {threadOpen && m?.over && (
        <div className="thread-preview" aria-label="Thread preview" role="region" ref={previewRef} tabIndex={-1}>
          <div className="row-gap">
            <strong>{parts.length ? `${parts.length} posts` : 'This text cannot be split'}</strong>
            <label className="checkbox">
              <input type="checkbox" checked={numbering} onChange={(e) => setNumbering(e.target.checked)} /> Number the posts (1/{parts.length || 'n'})
            </label>
            <button type="button" className="link-button" onClick={() => ((focusAfterSplit.current = 'split'), setThreadOpen(false))}>
              Cancel split
            </button>
          </div>
          <ol className="thread-parts">
            {parts.map((p, i) => {
              const pm = measureReply(conversation.network, mode as 'public' | 'private', p, customerHandle);
              return (
                <li key={i}>
                  <SafeText text={p} linkify={false} />
                  <span className={`counter${pm.over ? ' over' : ''}`}>
                    {pm.length}/{pm.limit}
                  </span>
                </li>
              );
            })}
          </ol>
        </div>
      )}
      <FormError error={error} />
      {trackedMessages.length > 0 && (
        <div className="delivery" aria-live="polite">
          {trackedMessages.map((x, i) => (
            <span key={x.id} className={`delivery-item st-${x.status}`}>
              {trackedMessages.length > 1 ? `Part ${i + 1}: ` : 'Your reply: '}
              <DeliveryStatus m={x} />
            </span>
          ))}
          {tracked.checks && tracked.checks.length > 0 && <span className="muted">Noted: {tracked.checks.map((x) => x.message).join('; ')}</span>}
          {/* not approved: its words back in the draft, to change as the note says and send again (for sign-off again) */}
          {trackedMessages.length === 1 && trackedMessages[0]!.status === 'rejected' && (
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                const old = trackedMessages[0]!.text;
                if (text.trim()) insertText(old);
                else {
                  setText(old);
                  requestAnimationFrame(() => taRef.current?.focus());
                }
              }}
            >
              Edit and send again
            </button>
          )}
        </div>
      )}
      {tracked.approval && trackedMessages.some((x) => x.status === 'pending_approval') && (
        <div className="approval-wait" role="status">
          <strong>Waiting for approval.</strong> An approver signs this reply off before it is sent; you will see the outcome here and in the thread.{' '}
          <button
            type="button"
            className="btn btn-small btn-ghost"
            disabled={withdraw.isPending}
            onClick={() => {
              for (const x of trackedMessages.filter((t) => t.status === 'pending_approval')) {
                withdraw.mutate(x.id, { onSuccess: () => toast('Reply withdrawn: it will not be sent'), onError: (e) => toast((e as Error).message, 'error') });
              }
            }}
          >
            Withdraw it
          </button>
          {trackedMessages.filter((x) => x.status === 'pending_approval').slice(0, 1).map((x) => <SignOffWaitNotice key={x.id} messageId={x.id} />)}
          <ul className="approval-reasons">
            {tracked.approval.map((r) => (
              <li key={r.code} data-reason={r.code}>
                {r.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {mode === 'note' && <NoteMentionHint users={users} meId={meId} text={text} />}
      <SnippetPicker open={snippetsOpen} onClose={() => setSnippetsOpen(false)} conversationId={convId} onInsert={(t) => ((snippetInserted.current = true), insertText(t))} />
    </div>
  );
});

/** "INVALID_REQUEST: reason" → the reason, with the code kept for the tooltip. */
function splitError(error: string | null): { code: string | null; reason: string } {
  if (!error) return { code: null, reason: 'unknown reason' };
  const m = /^([A-Z][A-Z0-9_]{2,40}): ([\s\S]*)$/.exec(error);
  return m ? { code: m[1]!, reason: m[2]! } : { code: null, reason: error };
}

export function DeliveryStatus({ m }: { m: Message }) {
  const { code, reason } = splitError(m.error);
  switch (m.status) {
    case 'queued':
      return m.error ? (
        <span className="delivery-state warn" title={m.errorDetail ?? code ?? undefined}>
          Retrying: {reason}
        </span>
      ) : (
        <span className="delivery-state">Queued…</span>
      );
    case 'sending':
      return <span className="delivery-state">Sending…</span>;
    case 'sent':
      return (
        <span className="delivery-state ok" title={m.networkMessageId ? `Sent; its id on the network: ${clip(m.networkMessageId, 200)}` : 'Sent'}>
          Sent ✓
        </span>
      );
    case 'failed':
      return (
        <span className="delivery-state bad" title={m.errorDetail ?? code ?? undefined}>
          Failed: {reason}
        </span>
      );
    case 'pending_approval':
      return <span className="delivery-state wait">Waiting for approval</span>;
    case 'withdrawn': {
      const e = m.error ?? '';
      return <span className="delivery-state">Withdrawn{e.includes('incident') ? ': the incident was closed' : e.includes('post was deleted') ? ': the post was deleted before the reply was sent' : ' before sign-off'}</span>;
    }
    case 'rejected': {
      const note = (m.error ?? '').replace(/^rejected:\s*/i, '');
      return (
        <span className="delivery-state bad">
          Not approved{note ? ': ' : ''}
          {note && <SafeText text={note} linkify={false} />}
        </span>
      );
    }
    default:
      return <span className="delivery-state">{m.status}</span>;
  }
}

/** While typing `@na…` in a note: who that will notify. */
function NoteMentionHint({ users, meId, text }: { users: Map<number, User>; meId: number; text: string }) {
  const m = /@([\p{L}\p{N}._+-]*)$/u.exec(text);
  if (!m) return null;
  const t = m[1]!.toLowerCase();
  const matches = [...users.values()].filter((u) => !u.disabled && u.id !== meId && (u.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(t)) || u.email.toLowerCase().startsWith(t))).slice(0, 5);
  if (!matches.length) return null;
  return (
    <p className="muted small mention-hint">
      Mention: {matches.map((u) => `@${u.name.split(/\s+/)[0]!.toLowerCase()} (${u.name})`).join(', ')}
    </p>
  );
}
