/**
 * Snippets in the composer: saved wording for facts that must be exact (hours, links,
 * names). The server fills the variables for this conversation and names the ones it
 * cannot fill — never guessed — so the agent sees the gap before the customer does.
 */
import { useMemo, useState } from 'react';
import { ApiError } from '../api/client.js';
import type { Snippet, SnippetIssue } from '../api/types.js';
import { renderSnippet, useSnippets } from '../api/workflow.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { FormError } from '../ui/DialogButtons.js';

export function SnippetPicker({ open, onClose, conversationId, onInsert }: { open: boolean; onClose: () => void; conversationId: number; onInsert: (text: string) => void }) {
  const q = useSnippets();
  const [filter, setFilter] = useState('');
  const [busy, setBusy] = useState<number | null>(null);
  const [problem, setProblem] = useState<{ snippet: Snippet; text: string; errors: SnippetIssue[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return (q.data ?? []).filter((s) => !f || s.shortcut.includes(f) || s.title.toLowerCase().includes(f) || s.body.toLowerCase().includes(f));
  }, [q.data, filter]);

  const close = () => {
    setProblem(null);
    setError(null);
    setFilter('');
    onClose();
  };

  const pick = async (s: Snippet) => {
    setBusy(s.id);
    setError(null);
    setProblem(null);
    try {
      const r = await renderSnippet(s.id, conversationId);
      if (r.ok) {
        onInsert(r.text);
        close();
      } else setProblem({ snippet: s, text: r.text, errors: r.errors });
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
      {problem && (
        <div className="snippet-problem" role="alert">
          <p>
            <strong>“{problem.snippet.title}” cannot be filled in completely for this conversation:</strong>
          </p>
          <ul>
            {problem.errors.map((e, i) => (
              <li key={i}>
                {e.variable ? <code>{e.variable}</code> : null} {e.message}
              </li>
            ))}
          </ul>
          <p className="muted small">Preview with the gaps:</p>
          <blockquote className="snippet-preview">
            <SafeText text={problem.text} linkify={false} />
          </blockquote>
          <div className="row-gap">
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                onInsert(problem.text);
                close();
              }}
            >
              Insert with the gaps marked
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setProblem(null)}>
              Pick another
            </button>
          </div>
        </div>
      )}
    </Modal>
  );
}
