/**
 * Per-message triage in the thread: a one-line summary (what it needs, what it is, how
 * it feels, its priority), a "Why?" disclosure listing every judgement with its
 * confidence and reason and every priority point (no hidden scoring), and the dialog
 * in which an agent corrects it — recorded with their name, so triage learns from it.
 * Everything is rendered as text.
 */
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { CARE_INTENTS, SENTIMENTS, TRIAGE_ACTIONS, TRIAGE_CATEGORIES, type Message, type TriageCorrection, type User } from '../api/types.js';
import { useCorrectTriage } from '../api/workflow.js';
import { clip, fullTime, priorityLabel } from '../lib/format.js';
import { handleText } from './customerName.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { actionLabel, categoryLabel, intentLabel, percent, readTriage, sentimentLabel, signedPoints, yesNo, type ScoredView, type TriageView } from './triage.js';

const cls = (v: string) => (/^[a-z_]+$/.test(v) ? v : 'other');

const CORRECTED = /^corrected by (.+)$/;

/** An actor as the audit trail writes it (`user:3`, `token:1`) in words. */
function actorText(actor: string, users: Map<number, User>): string {
  const u = /^user:(\d+)$/.exec(actor);
  if (u) return users.get(Number(u[1]))?.name ?? `user ${u[1]}`;
  if (/^token:\d+$/.test(actor)) return 'an API token';
  return actor;
}

/** "corrected by user:3" (as stored) → "corrected by Ana Agent". */
function withNames(t: TriageView, users: Map<number, User>): TriageView {
  const fix = <T,>(x: ScoredView<T> | null): ScoredView<T> | null => {
    const m = x ? CORRECTED.exec(x.reason) : null;
    return x && m ? { ...x, reason: `corrected by ${actorText(m[1]!, users)}` } : x;
  };
  return { ...t, action: fix(t.action), category: fix(t.category), complaint: fix(t.complaint), sentiment: fix(t.sentiment), intent: fix(t.intent) };
}

/** Who corrected it, by name when we know them. */
function correctedBy(t: TriageView, users: Map<number, User>): string | null {
  if (!t.corrected) return null;
  const known = t.corrected.by != null ? users.get(t.corrected.by)?.name : undefined;
  if (known) return known;
  // people we may not list (experts see only themselves): a corrected field's reason names them
  const r = [t.category, t.action, t.complaint, t.sentiment, t.intent].map((x) => (x ? CORRECTED.exec(x.reason) : null)).find(Boolean);
  if (r) return r[1]!;
  return t.corrected.by != null ? `user ${t.corrected.by}` : 'an agent';
}

export function TriageSummary({ triage, who, users, onCorrect }: { triage: Message['triage']; who: string; users: Map<number, User>; onCorrect?: () => void }) {
  const read = useMemo(() => readTriage(triage), [triage]);
  const t = useMemo(() => read && withNames(read, users), [read, users]);
  const [open, setOpen] = useState(false);
  const panelId = useId();
  if (!t) return null;
  const by = correctedBy(t, users);
  const sure = (label: string, s: ScoredView<unknown> | null) => (s ? `${label} (${percent(s.confidence)} sure): ${s.reason || (t.partial ? 'reason loading…' : 'no reason recorded')}` : undefined);
  const facts: { key: string; name?: string; text: ReactNode; title?: string; className?: string }[] = [];
  if (t.action) facts.push({ key: 'action', name: 'Action', text: actionLabel(t.action.value), title: sure('Action', t.action), className: `triage-action act-${cls(t.action.value)}` });
  if (t.category) facts.push({ key: 'category', name: 'Category', text: categoryLabel(t.category.value), title: sure('Category', t.category) });
  if (t.sentiment) facts.push({ key: 'sentiment', name: 'Sentiment', text: sentimentLabel(t.sentiment.value), title: sure('Sentiment', t.sentiment), className: `sent-text-${cls(t.sentiment.value)}` });
  if (t.complaint?.value) facts.push({ key: 'complaint', text: 'Complaint', title: sure('Complaint', t.complaint) });
  if (t.intent) facts.push({ key: 'intent', name: 'Intent', text: intentLabel(t.intent.value), title: sure('Intent', t.intent) });
  if (t.language) facts.push({ key: 'language', name: 'Language', text: t.language.value, title: sure('Language', t.language) });
  if (t.priority) {
    const label = priorityLabel(t.priority.value);
    facts.push({ key: 'priority', text: <span className={`badge prio prio-${label.toLowerCase()}`}>Priority {t.priority.value}</span>, title: `Priority ${t.priority.value} of 100 (${label}): open “Why?” for every point` });
  }
  return (
    <div className="triage">
      <div className="triage-line">
        <ul className="triage-facts" aria-label="Triage">
          {facts.map((f, i) => (
            <li key={f.key} className={[f.className, i < facts.length - 1 ? 'sep' : ''].filter(Boolean).join(' ') || undefined} title={f.title}>
              {f.name && <span className="visually-hidden">{f.name}: </span>}
              {f.text}
            </li>
          ))}
          {t.accolade?.value && (
            <li className="chip" title={sure('Thanks or praise', t.accolade)}>
              <span className="badge chip-accolade">Thanks/praise</span>
            </li>
          )}
          {t.chaser?.value && (
            <li className="chip" title={sure('Chasing an answer', t.chaser)}>
              <span className="badge chip-chaser">Chaser</span>
            </li>
          )}
          {by && (
            <li className="chip">
              <span className="badge chip-corrected">Corrected</span>
            </li>
          )}
        </ul>
        <button type="button" className="link-button small triage-toggle" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((x) => !x)}>
          Why?<span className="visually-hidden"> How triage judged the message from {who}</span>
        </button>
      </div>
      <div id={panelId} className="triage-why" hidden={!open}>
        {open && <TriageDetails t={t} who={who} by={by} onCorrect={onCorrect} />}
      </div>
    </div>
  );
}

function Row<T>({ label, s, show, partial }: { label: string; s: ScoredView<T> | null; show: (v: T) => string; partial?: boolean }) {
  if (!s) return null;
  const corrected = s.reason.startsWith('corrected by ');
  return (
    <tr role="row" className={corrected ? 'triage-corrected' : undefined}>
      <th role="rowheader" scope="row">{label}</th>
      <td role="cell">{show(s.value)}</td>
      <td role="cell" className="num">{percent(s.confidence)}</td>
      <td role="cell" dir="auto">{s.reason || (partial ? 'loading…' : '—')}</td>
    </tr>
  );
}

function TriageDetails({ t, who, by, onCorrect }: { t: TriageView; who: string; by: string | null; onCorrect?: () => void }) {
  const p = t.priority;
  const sum = p ? Math.round(p.factors.reduce((a, f) => a + f.points, 0) * 10) / 10 : 0;
  return (
    <>
      {/* explicit table roles: on a narrow pane the rows are laid out as stacked grids (styles.css),
          and a table whose display CSS changes keeps its semantics only through them */}
      <table className="triage-table" role="table">
        <caption className="visually-hidden">How triage judged the message from {who}</caption>
        <thead role="rowgroup">
          <tr role="row">
            <th role="columnheader" scope="col">Judgement</th>
            <th role="columnheader" scope="col">Value</th>
            <th role="columnheader" scope="col">Confidence</th>
            <th role="columnheader" scope="col">Reason</th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          <Row partial={t.partial} label="Action" s={t.action} show={actionLabel} />
          <Row partial={t.partial} label="Category" s={t.category} show={categoryLabel} />
          <Row partial={t.partial} label="Complaint" s={t.complaint} show={yesNo} />
          <Row partial={t.partial} label="Sentiment" s={t.sentiment} show={sentimentLabel} />
          <Row partial={t.partial} label="Thanks/praise" s={t.accolade} show={yesNo} />
          <Row partial={t.partial} label="Chaser" s={t.chaser} show={yesNo} />
          {t.intent ? (
            <Row partial={t.partial} label="Intent" s={t.intent} show={intentLabel} />
          ) : (
            <tr role="row">
              <th role="rowheader" scope="row">Intent</th>
              <td role="cell">—</td>
              <td role="cell" className="num">—</td>
              <td role="cell">only for customer-service messages</td>
            </tr>
          )}
          <Row label="Language" s={t.language} show={(v: string) => v} />
          <Row label="Needs a response" s={t.needsResponse} show={yesNo} />
        </tbody>
      </table>

      {p && (
        <div className="triage-priority">
          <p>
            <strong>Priority {p.value}</strong> of 100 ({priorityLabel(p.value)}){' '}
            {p.factors.length === 0 ? '— no factor added points.' : `— every point, from ${p.factors.length} factor${p.factors.length > 1 ? 's' : ''}:`}
          </p>
          {p.factors.length > 0 && (
            <ul className="plain-list triage-factors" aria-label="Priority factors">
              {p.factors.map((f, i) => (
                <li key={`${f.code}-${i}`} data-code={f.code}>
                  <span className={`triage-pts${f.points < 0 ? ' neg' : ''}`}>{signedPoints(f.points)}</span> <span dir="auto">{f.label}</span>
                </li>
              ))}
            </ul>
          )}
          {p.factors.length > 0 && sum !== p.value && <p className="muted small">The factors add up to {sum}; priority is kept within 0–100.</p>}
          {by && <p className="muted small">Priority is as triage computed it on arrival; a correction does not change it.</p>}
        </div>
      )}

      {t.scores.length > 0 && (
        <p className="triage-scores small">
          <span className="muted">Model scores (0–1):</span> {t.scores.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' · ')}
        </p>
      )}

      <div className="triage-foot small">
        {t.model && (
          <span>
            <span className="muted">Model:</span> <code>{t.model}</code>
          </span>
        )}
        {t.truncated && <span className="muted">Only the start of a long text was read.</span>}
        {by && (
          <span className="triage-by">
            corrected by {by}
            {t.corrected?.at && (
              <>
                {' '}
                <time dateTime={t.corrected.at} title={fullTime(t.corrected.at)}>
                  {fullTime(t.corrected.at)}
                </time>
              </>
            )}
          </span>
        )}
        {onCorrect && (
          <button type="button" className="btn btn-small triage-correct" onClick={onCorrect}>
            Correct triage…
          </button>
        )}
      </div>
    </>
  );
}

type Choice = { category: string; action: string; sentiment: string; complaint: string; intent: string };

function choicesOf(t: TriageView | null): Choice {
  return {
    category: t?.category?.value ?? '',
    action: t?.action?.value ?? '',
    sentiment: t?.sentiment?.value ?? '',
    complaint: t?.complaint ? (t.complaint.value ? 'yes' : 'no') : '',
    intent: t?.intent?.value ?? '',
  };
}

/** Only what the agent changed (the server records exactly that). */
function correctionOf(from: Choice, to: Choice): TriageCorrection {
  const c: TriageCorrection = {};
  if (to.category && to.category !== from.category) c.category = to.category as TriageCorrection['category'];
  if (to.action && to.action !== from.action) c.action = to.action as TriageCorrection['action'];
  if (to.sentiment && to.sentiment !== from.sentiment) c.sentiment = to.sentiment as TriageCorrection['sentiment'];
  if (to.complaint && to.complaint !== from.complaint) c.complaint = to.complaint === 'yes';
  if (to.intent && to.intent !== from.intent) c.intent = to.intent;
  return c;
}

/** A select whose current value stays listed even when it is not one we know. */
function Options({ values, current, label, unset }: { values: readonly string[]; current: string; label: (v: string) => string; unset: string }) {
  return (
    <>
      {!current && <option value="">{unset}</option>}
      {current && !values.includes(current) && (
        <option value={current} disabled>
          {label(current)}
        </option>
      )}
      {values.map((v) => (
        <option key={v} value={v}>
          {label(v)}
        </option>
      ))}
    </>
  );
}

export function CorrectTriageDialog({ message, onClose }: { message: Message | null; onClose: () => void }) {
  const correct = useCorrectTriage();
  const toast = useToast();
  const t = useMemo(() => readTriage(message?.triage), [message?.triage]);
  const initial = useMemo(() => choicesOf(t), [t]);
  const [choice, setChoice] = useState<Choice>(initial);
  const [error, setError] = useState<RefusalInfo | null>(null);
  const id = useId();

  // another message (or its triage changed): start from what it says now
  useEffect(() => {
    setChoice(initial);
    setError(null);
  }, [initial]);

  const change = correctionOf(initial, choice);
  const changed = Object.keys(change).length > 0;
  const set = (k: keyof Choice) => (e: { target: { value: string } }) => setChoice((c) => ({ ...c, [k]: e.target.value }));
  const who = message?.author ? handleText(message.network, clip(message.author.handle, 80)) : 'the customer';

  const submit = () => {
    if (!message) return;
    if (!changed) {
      setError({ code: 'validation', detail: 'Change at least one judgement, then save.' });
      return;
    }
    setError(null);
    correct.mutate(
      { messageId: message.id, conversationId: message.conversationId, correction: change },
      {
        onSuccess: () => {
          toast('Triage corrected; triage learns from it');
          onClose();
        },
        onError: (err) => setError(refusalOf(err)),
      },
    );
  };

  return (
    <Modal open={!!message} onClose={onClose} title="Correct triage" className="modal-wide" description="Set what triage got wrong. Your correction is recorded with your name and teaches triage (parley train --from-history).">
      {message && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <blockquote className="moderation-quote">
            <span className="muted small">Message from {who}:</span>
            <br />
            <SafeText text={clip(message.text, 600)} linkify={false} />
          </blockquote>
          <div className="form-row">
            <label className="field" htmlFor={`${id}-category`}>
              <span>Category</span>
              <select id={`${id}-category`} value={choice.category} onChange={set('category')} data-autofocus>
                <Options values={TRIAGE_CATEGORIES} current={initial.category} label={categoryLabel} unset="Not set" />
              </select>
            </label>
            <label className="field" htmlFor={`${id}-action`}>
              <span>Action</span>
              <select id={`${id}-action`} value={choice.action} onChange={set('action')}>
                <Options values={TRIAGE_ACTIONS} current={initial.action} label={actionLabel} unset="Not set" />
              </select>
            </label>
          </div>
          <div className="form-row">
            <label className="field" htmlFor={`${id}-sentiment`}>
              <span>Sentiment</span>
              <select id={`${id}-sentiment`} value={choice.sentiment} onChange={set('sentiment')}>
                <Options values={SENTIMENTS} current={initial.sentiment} label={sentimentLabel} unset="Not set" />
              </select>
            </label>
            <label className="field" htmlFor={`${id}-complaint`}>
              <span>Complaint</span>
              <select id={`${id}-complaint`} value={choice.complaint} onChange={set('complaint')}>
                {!initial.complaint && <option value="">Not set</option>}
                <option value="yes">Yes, a complaint</option>
                <option value="no">No, not a complaint</option>
              </select>
            </label>
            <label className="field" htmlFor={`${id}-intent`}>
              <span>Intent</span>
              <select id={`${id}-intent`} value={choice.intent} onChange={set('intent')}>
                <Options values={CARE_INTENTS} current={initial.intent} label={intentLabel} unset="None" />
              </select>
            </label>
          </div>
          {change.category && (change.category === 'spam' || change.category === 'abuse') && !change.action && (
            <p className="muted small">
              {change.category === 'spam' ? 'Spam is then ignored' : 'Abuse is then monitored'} (action {change.category === 'spam' ? 'Ignore' : 'Monitor'}) unless you choose the action too.
            </p>
          )}
          <Refusal refusal={error} lead="Not saved." />
          <div className="row-gap">
            <button type="submit" className="btn btn-primary" disabled={correct.isPending}>
              {correct.isPending ? 'Saving…' : 'Save correction'}
            </button>
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            {!changed && <span className="muted small">Nothing changed yet.</span>}
          </div>
        </form>
      )}
    </Modal>
  );
}
