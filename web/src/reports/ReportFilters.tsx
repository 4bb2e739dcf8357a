/**
 * The filter bar every report shares: period (presets or custom dates), team, agent,
 * channel account, network, public/private and the business-hours toggle. Every choice
 * is written to the URL; custom dates apply on "Apply" (not on each keystroke).
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useChannels, useTeams, useUsers } from '../api/queries.js';
import { byName } from '../lib/collate.js';
import { networkLabel, plain } from '../lib/format.js';
import { SelectField } from '../ui/bits.js';
import { HELP } from './help.js';
import type { ResolvedPeriod } from './period.js';
import { activeFilterCount, isDate, PERIOD_LABEL, PERIODS, type Period, type ReportsSearch } from './search.js';

export type FilterSet = 'all' | 'staffing' | 'none';

export function ReportFilters({ search, period, onChange, show }: { search: ReportsSearch; period: ResolvedPeriod; onChange: (patch: Partial<ReportsSearch>) => void; show: FilterSet }) {
  // each list in reading order, as Settings shows it ("Care Agent 9" before "Care Agent 10")
  const channels = [...(useChannels().data ?? [])].sort((a, b) => byName.compare(a.network, b.network) || byName.compare(a.handle, b.handle));
  const teams = [...(useTeams().data ?? [])].sort((a, b) => byName.compare(a.name, b.name));
  const users = (useUsers().data ?? []).filter((u) => u.role !== 'expert' && !u.disabled).sort((a, b) => byName.compare(a.name, b.name));
  const networks = [...new Set(channels.map((c) => c.network))].sort();
  const [custom, setCustom] = useState(search.period === 'custom');
  const [from, setFrom] = useState(period.fromDate ?? period.dataRange?.first ?? '');
  const [to, setTo] = useState(period.toDate ?? period.dataRange?.last ?? '');
  const [error, setError] = useState<string | null>(null);
  const fromId = useId();
  const toId = useId();
  const errId = useId();
  const businessId = useId();

  // follow the URL (back/forward, presets)
  useEffect(() => setCustom(search.period === 'custom'), [search.period]);
  useEffect(() => {
    if (period.fromDate) setFrom(period.fromDate);
    else if (period.dataRange) setFrom(period.dataRange.first);
    if (period.toDate) setTo(period.toDate);
    else if (period.dataRange) setTo(period.dataRange.last);
  }, [period.fromDate, period.toDate, period.dataRange?.first, period.dataRange?.last]); // eslint-disable-line react-hooks/exhaustive-deps

  const selected: Period | '' = custom ? 'custom' : (search.period ?? '');
  const onPeriod = (v: string) => {
    setError(null);
    if (v === 'custom') return setCustom(true);
    setCustom(false);
    onChange({ period: (v || undefined) as Period | undefined, from: undefined, to: undefined });
  };
  const applyDates = (e: FormEvent) => {
    e.preventDefault();
    if (!isDate(from) || !isDate(to)) return setError('Enter both dates.');
    if (from > to) return setError('The start date must not be after the end date.');
    setError(null);
    onChange({ period: 'custom', from, to });
  };
  const num = (v: string) => (v === '' ? undefined : Number(v));
  const n = activeFilterCount(search);

  if (show === 'none') return null;
  return (
    <div className="report-filters" role="group" aria-label="Report filters">
      <SelectField label="Period" value={selected} onChange={(e) => onPeriod(e.target.value)}>
        <option value="">{period.auto ? `Default (${period.fellBack ? 'all time' : 'last 30 days'})` : 'Default (last 30 days)'}</option>
        {PERIODS.map((p) => (
          <option key={p} value={p}>
            {PERIOD_LABEL[p]}
          </option>
        ))}
      </SelectField>
      {custom && (
        <form className="date-range" onSubmit={applyDates} aria-label="Custom dates">
          <span className="inline-field">
            <label htmlFor={fromId}>From</label>
            <input id={fromId} type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} aria-describedby={error ? errId : undefined} aria-invalid={!!error || undefined} required />
          </span>
          <span className="inline-field">
            <label htmlFor={toId}>To</label>
            <input id={toId} type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} aria-describedby={error ? errId : undefined} aria-invalid={!!error || undefined} required />
          </span>
          <button type="submit" className="btn btn-small btn-primary">
            Apply
          </button>
          {error && (
            <span id={errId} className="form-error" role="alert">
              {error}
            </span>
          )}
        </form>
      )}
      <SelectField label="Channel" value={search.channel ?? ''} onChange={(e) => onChange({ channel: num(e.target.value) })}>
        <option value="">All channels</option>
        {channels.map((c) => (
          <option key={c.id} value={c.id}>
            {networkLabel(c.network)} @{plain(c.handle)}
          </option>
        ))}
      </SelectField>
      {show === 'all' && (
        <>
          <SelectField label="Team" value={search.team ?? ''} onChange={(e) => onChange({ team: num(e.target.value) })}>
            <option value="">All teams</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {plain(t.name)}
              </option>
            ))}
          </SelectField>
          <SelectField label="Agent" value={search.agent ?? ''} onChange={(e) => onChange({ agent: num(e.target.value) })}>
            <option value="">Everyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {plain(u.name)}
              </option>
            ))}
          </SelectField>
          <SelectField label="Network" value={search.network ?? ''} onChange={(e) => onChange({ network: e.target.value || undefined })}>
            <option value="">All networks</option>
            {networks.map((nw) => (
              <option key={nw} value={nw}>
                {networkLabel(nw)}
              </option>
            ))}
          </SelectField>
          <SelectField label="Visibility" value={search.visibility ?? ''} onChange={(e) => onChange({ visibility: (e.target.value || undefined) as ReportsSearch['visibility'] })}>
            <option value="">Public and private</option>
            <option value="public">Public only</option>
            <option value="private">Private only</option>
          </SelectField>
          <span className="inline-field toggle-field" title={HELP.business}>
            <input id={businessId} type="checkbox" checked={!!search.business} onChange={(e) => onChange({ business: e.target.checked ? 1 : undefined })} />
            <label htmlFor={businessId}>Business hours only</label>
          </span>
        </>
      )}
      {n > 0 && (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange({ team: undefined, agent: undefined, channel: undefined, network: undefined, visibility: undefined, business: undefined })}>
          Clear filters ({n})
        </button>
      )}
    </div>
  );
}
