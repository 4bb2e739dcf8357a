/**
 * Settings → Guidelines, Playbooks, Snippets and Quarantine: the community guidelines
 * moderation must cite, the rules of engagement (outlines, not scripts), the snippets
 * for exact facts, and what failed validation on the way in (with the reason).
 */
import { useState } from 'react';
import { api } from '../api/client.js';
import type { Playbook, Snippet } from '../api/types.js';
import { MODERATION_ACTIONS, UNDO_ACTIONS } from '../api/types.js';
import { useAdminWrite, useGuidelines, usePlaybooks, useQuarantine, useSnippets, wkeys } from '../api/workflow.js';
import { fullTime, networkLabel } from '../lib/format.js';
import { ANY, checkVariant, normalizeLanguage, SNIPPET_VARIABLES, VARIANT_NETWORKS, VARIANT_USE_LABEL, variantLimits } from '../../../src/core/snippetVariants.js';
import { variantName } from '../workflow/Snippets.js';
import { SafeText } from '../lib/SafeText.js';
import { Spinner } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { playbookName } from '../workflow/Guidance.js';
import { ListInput, Problem, ReadOnlyNote, Section, TableScroll, useEditorFocus } from './fields.js';
import { DialogButtons } from '../ui/DialogButtons.js';

// ---------------------------------------------------------------- guidelines

/** Retire a rule (admin): it leaves the list and can no longer be cited; what was done citing it keeps the citation. */
function RetireGuideline({ id, title }: { id: number; title: string }) {
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const retire = useAdminWrite(() => api<null>('POST', `/api/guidelines/${id}/retire`, { reason: reason.trim() }), [wkeys.guidelines]);
  if (!open) {
    return (
      <button type="button" className="btn btn-small btn-ghost" onClick={() => setOpen(true)} aria-label={`Retire the guideline “${title}”…`}>
        Retire…
      </button>
    );
  }
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        retire.mutate(undefined, { onSuccess: () => toast(`Guideline “${title}” retired: it can no longer be cited`) });
      }}
    >
      <label>
        Why retire “{title}”? <span className="muted small">(kept in the audit log)</span>
        <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} maxLength={1000} required autoFocus />
      </label>
      <button type="submit" className="btn btn-small btn-danger" disabled={retire.isPending || reason.trim().length < 3}>
        Retire guideline
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <Problem error={retire.error} />
    </form>
  );
}

export function GuidelinesAdmin({ admin }: { admin: boolean }) {
  const q = useGuidelines();
  const toast = useToast();
  const [code, setCode] = useState('');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [actions, setActions] = useState<string[]>(['hide', 'delete', 'block', 'mute']);
  const add = useAdminWrite(() => api<{ id: number }>('POST', '/api/guidelines', { code: code.trim(), title: title.trim(), description: description.trim(), allowedActions: actions }), [wkeys.guidelines]);
  return (
    <>
      {!admin && <ReadOnlyNote what="the community guidelines" />}
      <Section title="Community guidelines" id="guidelines-title" description="Moderation (hide, delete, block, mute) must cite one of these. Publish them where customers can read them. Negative feedback is never a violation.">
        {q.isPending ? (
          <Spinner label="Loading guidelines" />
        ) : (q.data ?? []).length === 0 ? (
          <p className="muted">None published yet: nothing can be moderated until there is a rule to cite.</p>
        ) : (
          <ul className="plain-list guideline-list">
            {(q.data ?? []).map((g) => (
              <li key={g.id}>
                <strong>{g.title}</strong> <code className="muted small">{g.code}</code>
                <p className="small">
                  <SafeText text={g.description} linkify={false} />
                </p>
                <p className="muted small">Allows: {g.allowedActions.join(', ')}</p>
                {admin && <RetireGuideline id={g.id} title={g.title} />}
              </li>
            ))}
          </ul>
        )}
      </Section>
      {admin && (
        <Section title="Publish a guideline" id="add-guideline-title">
          <form
            className="form-grid"
            onSubmit={(e) => {
              e.preventDefault();
              add.mutate(undefined, {
                onSuccess: () => {
                  toast(`Guideline “${title}” published`);
                  setCode('');
                  setTitle('');
                  setDescription('');
                },
              });
            }}
          >
            <div className="form-row">
              <label className="field">
                <span>Code</span>
                <input value={code} onChange={(e) => setCode(e.target.value)} required maxLength={41} placeholder="doxxing" pattern="[a-z0-9][a-z0-9_\-]{0,40}" title="lowercase letters, digits, - or _" />
              </label>
              <label className="field">
                <span>Title</span>
                <input value={title} onChange={(e) => setTitle(e.target.value)} required minLength={3} maxLength={200} placeholder="No sharing of other people's private information" />
              </label>
            </div>
            <label className="field">
              <span>What the rule says</span>
              <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} required minLength={10} maxLength={5000} />
            </label>
            <fieldset className="field">
              <legend>Actions it justifies</legend>
              <div className="row-gap">
                {MODERATION_ACTIONS.filter((a) => !UNDO_ACTIONS.includes(a)).map((a) => (
                  <label key={a} className="checkbox">
                    <input type="checkbox" checked={actions.includes(a)} onChange={(e) => setActions(e.target.checked ? [...actions, a] : actions.filter((x) => x !== a))} /> {a}
                  </label>
                ))}
              </div>
            </fieldset>
            <Problem error={add.error} />
            <div>
              <button type="submit" className="btn btn-primary" disabled={add.isPending || actions.length === 0}>
                Publish guideline
              </button>
            </div>
          </form>
        </Section>
      )}
    </>
  );
}

// ---------------------------------------------------------------- playbooks

const SENTIMENTS = ['negative', 'neutral', 'positive'];
const CATEGORIES = ['customer_service', 'brand', 'spam', 'abuse', 'other'];

export function PlaybooksAdmin({ canWrite }: { canWrite: boolean }) {
  const q = usePlaybooks();
  const [editing, setEditing] = useState<Playbook | 'new' | null>(null);
  useEditorFocus(editing, 'playbook-edit-title');
  const builtIn = (q.data ?? []).some((p) => typeof p.id === 'string');
  return (
    <>
      {!canWrite && <ReadOnlyNote what="the playbooks" />}
      <Section
        title="Playbooks"
        id="playbooks-title"
        description="Rules of engagement shown beside the composer when a conversation fits: an outline of what to do, never text to paste."
        actions={
          canWrite && (
            <button type="button" className="btn btn-small" onClick={() => setEditing('new')}>
              New playbook…
            </button>
          )
        }
      >
        {builtIn && <p className="small muted">These are Parley’s built-in playbooks. Saving your first playbook replaces them with your own set.</p>}
        {q.isPending ? (
          <Spinner label="Loading playbooks" />
        ) : (
          <ul className="plain-list playbook-admin-list">
            {(q.data ?? []).map((p) => (
              <li key={String(p.id)} className="playbook-admin">
                <div className="row-gap">
                  <strong>{playbookName(p)}</strong>
                  <span className="muted small">fits: {matchText(p) || 'every conversation'}</span>
                  {canWrite && (
                    <button type="button" className="btn btn-small" onClick={() => setEditing(p)}>
                      {typeof p.id === 'string' ? 'Copy and edit' : 'Edit'}
                      <span className="visually-hidden"> {playbookName(p)}</span>
                    </button>
                  )}
                </div>
                <ol className="small">
                  {p.outline.map((s, i) => (
                    <li key={i}>
                      <SafeText text={s} linkify={false} />
                    </li>
                  ))}
                </ol>
              </li>
            ))}
          </ul>
        )}
      </Section>
      {editing && <PlaybookEditor key={editing === 'new' ? 'new' : String(editing.id)} p={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
    </>
  );
}

function matchText(p: Playbook): string {
  const m = p.match ?? {};
  return [
    m.intents?.length ? `intent ${m.intents.join('/')}` : '',
    m.categories?.length ? `category ${m.categories.join('/')}` : '',
    m.complaint != null ? (m.complaint ? 'complaints' : 'not complaints') : '',
    m.sentiments?.length ? `${m.sentiments.join('/')} sentiment` : '',
    m.networks?.length ? `on ${m.networks.join('/')}` : '',
    m.visibility ? `${m.visibility} only` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

function PlaybookEditor({ p, onDone }: { p: Playbook | null; onDone: () => void }) {
  const toast = useToast();
  const [title, setTitle] = useState(p ? playbookName(p) : '');
  const [outline, setOutline] = useState((p?.outline ?? []).join('\n'));
  const [intents, setIntents] = useState<string[]>(p?.match.intents ?? []);
  const [categories, setCategories] = useState<string[]>(p?.match.categories ?? []);
  const [sentiments, setSentiments] = useState<string[]>(p?.match.sentiments ?? []);
  const [networks, setNetworks] = useState<string[]>(p?.match.networks ?? []);
  const [complaint, setComplaint] = useState<string>(p?.match.complaint == null ? '' : p.match.complaint ? 'yes' : 'no');
  const [visibility, setVisibility] = useState<string>(p?.match.visibility ?? '');
  const saveP = useAdminWrite(
    () =>
      api<{ id: number }>('POST', '/api/playbooks', {
        id: typeof p?.id === 'number' ? p.id : undefined,
        title: title.trim(),
        match: { intents: intents.length ? intents : undefined, categories: categories.length ? categories : undefined, sentiments: sentiments.length ? sentiments : undefined, networks: networks.length ? networks : undefined, complaint: complaint === '' ? undefined : complaint === 'yes', visibility: visibility || undefined },
        outline: outline.split('\n').map((x) => x.trim()).filter(Boolean),
      }),
    [wkeys.playbooks, ['playbooks', 'for']],
  );
  return (
    <Section title={p && typeof p.id === 'number' ? `Edit “${playbookName(p)}”` : 'New playbook'} id="playbook-edit-title">
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          saveP.mutate(undefined, {
            onSuccess: () => {
              toast('Playbook saved');
              onDone();
            },
          });
        }}
      >
        <label className="field">
          <span>Title</span>
          <input value={title} onChange={(e) => setTitle(e.target.value)} required minLength={3} maxLength={200} />
        </label>
        <label className="field">
          <span>Outline: one step per line (what to do, in your own words)</span>
          <textarea rows={5} value={outline} onChange={(e) => setOutline(e.target.value)} required />
        </label>
        <div className="form-row">
          <ListInput label="Intents" value={intents} onChange={setIntents} placeholder="refund, billing" />
          <ListInput label="Networks" value={networks} onChange={setNetworks} placeholder="x, instagram" />
          <label className="field">
            <span>Complaint</span>
            <select value={complaint} onChange={(e) => setComplaint(e.target.value)}>
              <option value="">Either</option>
              <option value="yes">Complaints</option>
              <option value="no">Not complaints</option>
            </select>
          </label>
          <label className="field">
            <span>Visibility</span>
            <select value={visibility} onChange={(e) => setVisibility(e.target.value)}>
              <option value="">Either</option>
              <option value="public">Public</option>
              <option value="private">Private</option>
            </select>
          </label>
        </div>
        <div className="form-row">
          <fieldset className="field">
            <legend>Categories</legend>
            <div className="row-gap">
              {CATEGORIES.map((c) => (
                <label key={c} className="checkbox">
                  <input type="checkbox" checked={categories.includes(c)} onChange={(e) => setCategories(e.target.checked ? [...categories, c] : categories.filter((x) => x !== c))} /> {c.replace(/_/g, ' ')}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset className="field">
            <legend>Sentiments</legend>
            <div className="row-gap">
              {SENTIMENTS.map((c) => (
                <label key={c} className="checkbox">
                  <input type="checkbox" checked={sentiments.includes(c)} onChange={(e) => setSentiments(e.target.checked ? [...sentiments, c] : sentiments.filter((x) => x !== c))} /> {c}
                </label>
              ))}
            </div>
          </fieldset>
        </div>
        <Problem error={saveP.error} />
        <DialogButtons disabled={saveP.isPending} onCancel={onDone}>
          Save playbook
        </DialogButtons>
      </form>
    </Section>
  );
}

// ---------------------------------------------------------------- snippets

const VARIABLES = SNIPPET_VARIABLES;
const NETWORK_KEYS = [ANY, ...VARIANT_NETWORKS.filter((n) => n !== 'demo')];

interface VariantDraft {
  key: number;
  network: string;
  language: string;
  body: string;
}

/** A variant's warnings (too long for its network, unknown variables) as the server checks them; a bad language tag first. */
function variantProblems(v: { network: string; language: string; body: string }): string[] {
  const language = normalizeLanguage(v.language);
  const out = language === null ? ['Language: a BCP-47 tag such as es or en-GB, or any.'] : [];
  return [...out, ...checkVariant({ network: v.network, language: language ?? v.language, body: v.body }).map((i) => i.message)];
}

/** The length limits a wording is checked against, in words; null for any network (held to none). */
function limitsNote(network: string): string | null {
  const limits = variantLimits(network);
  if (!limits.length) return null;
  return `Checked against ${networkLabel(network)}'s limits: ${limits.map((l) => `${l.rule.limit.toLocaleString('en-US')} characters for ${VARIANT_USE_LABEL[l.use]}`).join(', ')}.`;
}

function VariantWarnings({ problems, id }: { problems: string[]; id: string }) {
  if (!problems.length) return null;
  return (
    <div className="snippet-problem small" id={id} data-testid="variant-warnings">
      <ul>
        {problems.map((p, i) => (
          <li key={i}>{p}</li>
        ))}
      </ul>
    </div>
  );
}

export function SnippetsAdmin({ canWrite }: { canWrite: boolean }) {
  const q = useSnippets();
  const [editing, setEditing] = useState<Snippet | 'new' | null>(null);
  useEditorFocus(editing, 'snippet-edit-title');
  return (
    <>
      {!canWrite && <ReadOnlyNote what="the snippets" />}
      <Section
        title="Snippets"
        id="snippets-title"
        description={
          <>
            Wording for facts that must be exact. Variables in double braces are filled for each conversation: {VARIABLES.map((v) => `{{${v}}}`).join(', ')}; add a fallback with{' '}
            <code>{'{{customer.name | there}}'}</code>. A variable Parley cannot fill is named to the agent, never guessed.
          </>
        }
        actions={
          canWrite && (
            <button type="button" className="btn btn-small" onClick={() => setEditing('new')}>
              New snippet…
            </button>
          )
        }
      >
        {q.isPending ? (
          <Spinner label="Loading snippets" />
        ) : (q.data ?? []).length === 0 ? (
          <p className="muted">No snippets yet.</p>
        ) : (
          <TableScroll label="Snippets">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Shortcut</th>
                  <th scope="col">Title</th>
                  <th scope="col">Text</th>
                  {canWrite && (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {(q.data ?? []).map((s) => (
                  <tr key={s.id}>
                    <td>
                      <code>/{s.shortcut}</code>
                    </td>
                    <td>{s.title}</td>
                    <td className="small">
                      <SafeText text={s.body} linkify={false} />
                      {(s.variants?.length ?? 0) > 1 && (
                        <span className="muted" data-testid="snippet-wordings">
                          {' '}
                          · also for{' '}
                          {s.variants!
                            .slice(1)
                            .map((v) => variantName(v))
                            .join('; ')}
                        </span>
                      )}
                    </td>
                    {canWrite && (
                      <td>
                        <button type="button" className="btn btn-small" onClick={() => setEditing(s)}>
                          Edit<span className="visually-hidden"> {s.shortcut}</span>
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Section>
      {editing && <SnippetEditor key={editing === 'new' ? 'new' : editing.id} s={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
    </>
  );
}

function SnippetEditor({ s, onDone }: { s: Snippet | null; onDone: () => void }) {
  const toast = useToast();
  const [shortcut, setShortcut] = useState(s?.shortcut ?? '');
  const [title, setTitle] = useState(s?.title ?? '');
  const [body, setBody] = useState(s?.body ?? '');
  // the other wordings, by network and language (the default is `body`)
  const [variants, setVariants] = useState<VariantDraft[]>(() => (s?.variants ?? []).filter((v) => !(v.network === ANY && v.language === ANY)).map((v, i) => ({ key: i, network: v.network, language: v.language, body: v.body })));
  const [nextKey, setNextKey] = useState(1000);
  const setVariant = (key: number, patch: Partial<VariantDraft>) => setVariants((vs) => vs.map((v) => (v.key === key ? { ...v, ...patch } : v)));
  const saveS = useAdminWrite(
    () => api<{ id: number; warnings: unknown[] }>('POST', '/api/snippets', { shortcut: shortcut.trim(), title: title.trim(), body, variants: variants.map((v) => ({ network: v.network, language: v.language.trim() || ANY, body: v.body })) }),
    [wkeys.snippets],
  );
  return (
    <Section title={s ? `Edit /${s.shortcut}` : 'New snippet'} id="snippet-edit-title">
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          saveS.mutate(undefined, {
            onSuccess: (r) => {
              toast(r.warnings.length ? `Snippet saved, with ${r.warnings.length} ${r.warnings.length === 1 ? 'warning' : 'warnings'}` : 'Snippet saved');
              onDone();
            },
          });
        }}
      >
        <div className="form-row">
          <label className="field">
            <span>Shortcut</span>
            <input value={shortcut} onChange={(e) => setShortcut(e.target.value)} required maxLength={41} readOnly={!!s} placeholder="hours" />
          </label>
          <label className="field">
            <span>Title</span>
            <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
          </label>
        </div>
        <label className="field">
          <span>Text</span>
          <textarea rows={4} value={body} onChange={(e) => setBody(e.target.value)} required maxLength={5000} placeholder="Hi {{customer.name | there}}, we are open {{hours}}." aria-describedby="snippet-default-warnings" />
        </label>
        <VariantWarnings problems={variantProblems({ network: ANY, language: ANY, body })} id="snippet-default-warnings" />
        <fieldset className="field" data-testid="snippet-variants">
          <legend>Wordings per network and language</legend>
          <p className="muted small">The text above is the default. A conversation gets the wording for its network and language, else for its language, else for its network, else the default; the agent can switch.</p>
          {variants.map((v, i) => {
            const problems = variantProblems(v);
            const limits = limitsNote(v.network);
            const label = `Wording ${i + 1}`;
            return (
              <div key={v.key} className="form-grid" role="group" aria-label={label} data-testid="snippet-variant">
                <div className="form-row">
                  <label className="field">
                    <span>Network</span>
                    <select value={v.network} onChange={(e) => setVariant(v.key, { network: e.target.value })}>
                      {NETWORK_KEYS.map((n) => (
                        <option key={n} value={n}>
                          {n === ANY ? 'Any network' : networkLabel(n)}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label className="field">
                    <span>Language</span>
                    <input value={v.language} onChange={(e) => setVariant(v.key, { language: e.target.value })} maxLength={35} placeholder="es, en or any" autoCapitalize="off" spellCheck={false} />
                  </label>
                </div>
                <label className="field">
                  <span>Text for {variantName({ network: v.network, language: normalizeLanguage(v.language) ?? v.language })}</span>
                  <textarea rows={3} value={v.body} onChange={(e) => setVariant(v.key, { body: e.target.value })} required maxLength={5000} aria-describedby={[limits && `variant-limits-${v.key}`, problems.length && `variant-warnings-${v.key}`].filter(Boolean).join(' ') || undefined} />
                </label>
                {limits && (
                  <p className="muted small" id={`variant-limits-${v.key}`} data-testid="variant-limits">
                    {limits}
                  </p>
                )}
                <VariantWarnings problems={problems} id={`variant-warnings-${v.key}`} />
                <div>
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => setVariants((vs) => vs.filter((x) => x.key !== v.key))}>
                    Remove<span className="visually-hidden"> {label}</span>
                  </button>
                </div>
              </div>
            );
          })}
          <div>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                setVariants((vs) => [...vs, { key: nextKey, network: 'x', language: ANY, body: '' }]);
                setNextKey((k) => k + 1);
              }}
            >
              Add a wording…
            </button>
          </div>
        </fieldset>
        <Problem error={saveS.error} />
        <DialogButtons disabled={saveS.isPending} onCancel={onDone}>
          Save snippet
        </DialogButtons>
      </form>
    </Section>
  );
}

// ---------------------------------------------------------------- quarantine

export function QuarantineAdmin({ admin }: { admin: boolean }) {
  const q = useQuarantine(admin);
  if (!admin) return <p className="muted">Only admins see quarantined items (they may hold raw personal data).</p>;
  return (
    <Section title="Quarantine" id="quarantine-title" description="Items that failed validation on the way in, with the reason and the raw payload, so nothing is lost silently.">
      {q.isPending ? (
        <Spinner label="Loading quarantine" />
      ) : q.isError ? (
        <Problem error={q.error} />
      ) : (q.data ?? []).length === 0 ? (
        <p className="muted">Nothing in quarantine.</p>
      ) : (
        <TableScroll label="Quarantine">
          <table className="data-table quarantine">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Source</th>
                <th scope="col">Reason</th>
                <th scope="col">Raw</th>
              </tr>
            </thead>
            <tbody>
              {(q.data ?? []).map((x) => (
                <tr key={x.id}>
                  <td className="small">{fullTime(x.createdAt)}</td>
                  <td className="small">
                    {x.source}
                    {x.line != null ? ` (line ${x.line})` : ''}
                  </td>
                  <td>
                    <SafeText text={x.reason} linkify={false} />
                  </td>
                  <td>
                    <details>
                      <summary className="small">Show {x.raw.length.toLocaleString()} characters</summary>
                      <pre className="raw">
                        <SafeText text={x.raw} linkify={false} />
                      </pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Section>
  );
}
