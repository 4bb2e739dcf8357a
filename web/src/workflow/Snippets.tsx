/**
 * Snippets in the composer: saved wording for facts that must be exact (hours, links,
 * names). The server fills the variables for this conversation and names the ones it
 * cannot fill — never guessed — so the agent sees the gap before the customer does.
 *
 * A snippet worded per network and language (variants) is filled in the wording that fits
 * the conversation best (src/core/snippetVariants.ts); the picker says which one it took and
 * why, and lets the agent switch before inserting.
 */
import { useMemo, useState } from 'react';
import { ApiError } from '../api/client.js';
import type { Snippet, SnippetRender, SnippetVariantPick } from '../api/types.js';
import { renderSnippet, useSnippets } from '../api/workflow.js';
import { networkLabel } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { FormError } from '../ui/DialogButtons.js';

const languageNames = (() => {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' });
  } catch {
    return null;
  }
})();

/** A language key in words: "Spanish (es)", "Any language". */
export function languageLabel(language: string): string {
  if (language === 'any') return 'Any language';
  let name: string | undefined;
  try {
    name = languageNames?.of(language);
  } catch {
    name = undefined;
  }
  return name && name !== language ? `${name} (${language})` : language;
}

/** A variant's key in words: "X · Spanish (es)", "Any network · Any language" (the default). */
export function variantName(v: { network: string; language: string }): string {
  return `${v.network === 'any' ? 'Any network' : networkLabel(v.network)} · ${languageLabel(v.language)}`;
}

const MATCH_WHY: Record<SnippetVariantPick['match'], string> = {
  exact: 'fits this conversation’s network and language',
  language: 'fits this conversation’s language',
  network: 'fits this conversation’s network',
  default: 'the default: no wording for this conversation’s network or language',
  chosen: 'chosen by you',
};

export function SnippetPicker({ open, onClose, conversationId, onInsert }: { open: boolean; onClose: () => void; conversationId: number; onInsert: (text: string) => void }) {
  const q = useSnippets();
  const [filter, setFilter] = useState('');
  const [busy, setBusy] = useState<number | null>(null);
  // the filled-in snippet awaiting the agent: gaps to show, or a wording to confirm or switch
  const [problem, setProblem] = useState<{ snippet: Snippet; render: SnippetRender } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return (q.data ?? []).filter((s) => !f || s.shortcut.includes(f) || s.title.toLowerCase().includes(f) || s.body.toLowerCase().includes(f) || (s.variants ?? []).some((v) => v.body.toLowerCase().includes(f)));
  }, [q.data, filter]);

  const close = () => {
    setProblem(null);
    setError(null);
    setFilter('');
    onClose();
  };

  const pick = async (s: Snippet, variantId?: number) => {
    setBusy(s.id);
    setError(null);
    if (variantId == null) setProblem(null);
    try {
      const r = await renderSnippet(s.id, conversationId, variantId);
      // one wording and nothing missing: straight in; else the agent sees the wording (and gaps) first
      if (r.ok && (r.variants?.length ?? 1) <= 1) {
        onInsert(r.text);
        close();
      } else setProblem({ snippet: s, render: r });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Modal open={open} onClose={close} title="Insert a snippet" description="Variables are filled for this conversation; anything Parley does not know is named, never guessed." className="modal-wide">
      <div className="picker">
        <label className="visually-hidden" htmlFor="snippet-filter">
          Filter snippets
        </label>
        <input id="snippet-filter" data-autofocus placeholder="Filter by shortcut or words" value={filter} onChange={(e) => setFilter(e.target.value)} autoComplete="off" />
      </div>
      {q.isPending ? (
        <p className="muted">Loading snippets…</p>
      ) : q.isError ? (
        <p className="form-error" role="alert">
          {(q.error as Error).message}
        </p>
      ) : list.length === 0 ? (
        <p className="muted">{q.data?.length ? 'No snippet matches.' : 'No snippets yet. Leads and admins add them in Settings → Snippets.'}</p>
      ) : (
        <ul className="plain-list snippet-list">
          {list.map((s) => (
            <li key={s.id}>
              <button type="button" className="snippet-item" onClick={() => void pick(s)} disabled={busy != null} aria-describedby={`snippet-body-${s.id}`}>
                <span className="snippet-title">
                  <code>/{s.shortcut}</code> {s.title}
                  {(s.variants?.length ?? 1) > 1 && <span className="muted small"> · {s.variants!.length} wordings</span>}
                  {busy === s.id && <span className="muted"> · filling in…</span>}
                </span>
                <span className="snippet-body muted small" id={`snippet-body-${s.id}`}>
                  <SafeText text={s.body} linkify={false} />
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <FormError error={error} />
      {problem && <FilledSnippet key={problem.snippet.id} snippet={problem.snippet} render={problem.render} busy={busy != null} onSwitch={(id) => void pick(problem.snippet, id)} onInsert={() => (onInsert(problem.render.text), close())} onBack={() => setProblem(null)} />}
    </Modal>
  );
}

/** The filled-in snippet before it goes in: the wording used and why (switchable), and any gaps. */
function FilledSnippet({ snippet, render, busy, onSwitch, onInsert, onBack }: { snippet: Snippet; render: SnippetRender; busy: boolean; onSwitch: (variantId: number) => void; onInsert: () => void; onBack: () => void }) {
  const variants = (render.variants ?? []).filter((v): v is { id: number; network: string; language: string } => v.id != null);
  const picked = render.variant;
  const gaps = render.ok ? [] : render.errors;
  return (
    <div className={gaps.length ? 'snippet-problem' : 'snippet-filled'} role={gaps.length ? 'alert' : 'status'} data-testid="snippet-filled">
      {picked && variants.length > 1 && (
        <div className="snippet-variant">
          <p>
            Wording: <strong data-testid="snippet-variant-used">{variantName(picked)}</strong> <span className="muted small">— {MATCH_WHY[picked.match]}</span>
          </p>
          <label className="field">
            <span>Switch wording</span>
            <select value={picked.id ?? ''} disabled={busy} onChange={(e) => onSwitch(Number(e.target.value))}>
              {variants.map((v) => (
                <option key={v.id} value={v.id}>
                  {variantName(v)}
                  {render.best && render.best.id === v.id ? ' (best fit)' : ''}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {gaps.length > 0 && (
        <>
          <p>
            <strong>“{snippet.title}” cannot be filled in completely for this conversation:</strong>
          </p>
          <ul>
            {gaps.map((e, i) => (
              <li key={i}>
                {e.variable ? <code>{e.variable}</code> : null} {e.message}
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="muted small">{gaps.length ? 'Preview with the gaps:' : 'Preview:'}</p>
      <blockquote className="snippet-preview">
        <SafeText text={render.text} linkify={false} />
      </blockquote>
      <div className="row-gap">
        <button type="button" className="btn btn-small" onClick={onInsert} disabled={busy}>
          {gaps.length ? 'Insert with the gaps marked' : 'Insert'}
        </button>
        <button type="button" className="btn btn-small btn-ghost" onClick={onBack}>
          Pick another
        </button>
      </div>
    </div>
  );
}
