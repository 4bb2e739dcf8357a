/**
 * The playbook panel beside the composer: the rules of engagement that fit this
 * conversation (a public complaint, an account question...), as an outline of what to
 * do — guidance to answer in your own words, not text to paste.
 */
import { usePlaybooksFor } from '../api/workflow.js';
import type { PlaybookSuggestion } from '../api/types.js';
import { SafeText } from '../lib/SafeText.js';

const MATCHED: Record<string, string> = { intent: 'intent', category: 'category', complaint: 'complaint', sentiment: 'sentiment', network: 'network', visibility: 'public/private' };

export function playbookName(p: { name?: string; title?: string; id: string | number }): string {
  return p.name ?? p.title ?? String(p.id);
}

export function GuidancePanel({ conversationId }: { conversationId: number }) {
  const q = usePlaybooksFor(conversationId);
  const list = q.data ?? [];
  return (
    <section className="card guidance" aria-labelledby="guidance-title">
      <h2 id="guidance-title">Playbook</h2>
      {q.isError ? (
        <p className="muted small">Playbooks are not available: {(q.error as Error).message}</p>
      ) : list.length === 0 ? (
        <p className="muted small">{q.isPending ? 'Loading…' : 'No playbook fits this conversation. Answer in your own words.'}</p>
      ) : (
        list.slice(0, 3).map((s, i) => <PlaybookItem key={String(s.playbook.id)} s={s} open={i === 0} />)
      )}
    </section>
  );
}

function PlaybookItem({ s, open }: { s: PlaybookSuggestion; open: boolean }) {
  const p = s.playbook;
  return (
    <details className="playbook" open={open}>
      <summary>
        <strong>{playbookName(p)}</strong>
        {s.matchedOn.length > 0 && <span className="muted small"> · fits its {s.matchedOn.map((m) => MATCHED[m] ?? m).join(', ')}</span>}
      </summary>
      <ol className="playbook-outline">
        {p.outline.map((step, i) => (
          <li key={i}>
            <SafeText text={step} linkify={false} />
          </li>
        ))}
      </ol>
      {(p.dos?.length ?? 0) > 0 && (
        <>
          <h3>Do</h3>
          <ul className="playbook-dos">
            {p.dos!.map((d, i) => (
              <li key={i}>
                <SafeText text={d} linkify={false} />
              </li>
            ))}
          </ul>
        </>
      )}
      {(p.donts?.length ?? 0) > 0 && (
        <>
          <h3>Don’t</h3>
          <ul className="playbook-donts">
            {p.donts!.map((d, i) => (
              <li key={i}>
                <SafeText text={d} linkify={false} />
              </li>
            ))}
          </ul>
        </>
      )}
      {p.takePrivate && <p className="small playbook-note">This usually needs account details: take it private before asking for them.</p>}
      {p.escalateTo && (
        <p className="small playbook-note">
          If you cannot answer it yourself, ask an expert: the playbook suggests someone in <strong>{p.escalateTo.replace(/[-_]+/g, ' ')}</strong> (use Ask an expert on this conversation).
        </p>
      )}
    </details>
  );
}
