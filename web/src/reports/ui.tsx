/**
 * Building blocks of every report: a titled card with its definition and CSV export,
 * loading / error / empty states that say why, headline figures, and plain tables (the
 * text alternative of each chart).
 */
import { useId, type ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { reportCsvUrl, type ReportFilter, type ReportName } from '../api/reports.js';
import { Spinner } from '../ui/bits.js';

export function ReportCard({ title, help, csv, children, wide, actions, testId }: {
  title: string;
  /** The definition, in the words of docs/metrics.md. */
  help?: ReactNode;
  csv?: { name: ReportName; filter: ReportFilter };
  children: ReactNode;
  wide?: boolean;
  actions?: ReactNode;
  testId?: string;
}) {
  const id = useId();
  return (
    <section className={`report-card${wide ? ' wide' : ''}`} aria-labelledby={id} data-testid={testId}>
      <div className="report-card-head">
        <h2 id={id}>{title}</h2>
        <div className="report-card-actions">
          {actions}
          {csv && (
            <a className="btn btn-small btn-ghost" href={reportCsvUrl(csv.name, csv.filter)} download={`parley-${csv.name}.csv`} aria-label={`Export CSV: ${title}`}>
              Export CSV
            </a>
          )}
        </div>
      </div>
      {help && <p className="report-help">{help}</p>}
      {children}
    </section>
  );
}

/** Loading, error (the problem's `detail`) or the content; `empty` explains an empty result. */
export function QueryState<T>({ q, empty, children, what }: { q: UseQueryResult<T>; empty?: (d: T) => string | null; children: (d: T) => ReactNode; what: string }) {
  if (q.isPending) {
    return (
      <div className="report-state">
        <Spinner label={`Loading ${what}`} />
      </div>
    );
  }
  if (q.isError) {
    return (
      <div className="report-state report-error" role="alert">
        <p>
          Could not load {what}: {(q.error as Error).message}
        </p>
        <button type="button" className="btn btn-small" onClick={() => q.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  const why = empty?.(q.data);
  if (why) {
    return (
      <div className="report-state report-empty">
        <p>{why}</p>
      </div>
    );
  }
  return <div className={q.isFetching && q.isPlaceholderData ? 'report-body stale' : 'report-body'} aria-busy={q.isFetching && q.isPlaceholderData ? true : undefined}>{children(q.data)}</div>;
}

export interface StatItem {
  label: string;
  value: string;
  /** Shown below the value (e.g. a count or the exact figure). */
  sub?: ReactNode;
  /** Explains the figure (title attribute). */
  title?: string;
  tone?: 'good' | 'bad' | 'neutral';
  testId?: string;
}

/** Headline figures as a description list. */
export function Stats({ items, label }: { items: StatItem[]; label: string }) {
  return (
    <dl className="stats" aria-label={label}>
      {items.map((s) => (
        <div key={s.label} className={`stat${s.tone ? ` stat-${s.tone}` : ''}`} title={s.title} data-testid={s.testId}>
          <dt>{s.label}</dt>
          <dd>
            <span className="stat-value">{s.value}</span>
            {s.sub != null && <span className="stat-sub">{s.sub}</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export interface Column<R> {
  key: string;
  label: string;
  /** Right-aligned, tabular numbers. */
  numeric?: boolean;
  render: (row: R) => ReactNode;
  title?: string;
}

export function DataTable<R>({ caption, columns, rows, rowKey, captionHidden, empty }: { caption: string; columns: Column<R>[]; rows: R[]; rowKey: (r: R, i: number) => string | number; captionHidden?: boolean; empty?: string }) {
  return (
    <div className="table-wrap">
      <table className="report-table">
        <caption className={captionHidden ? 'visually-hidden' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? 'num' : undefined} title={c.title}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="muted">
                {empty ?? 'Nothing in this period.'}
              </td>
            </tr>
          ) : (
            rows.map((r, i) => (
              <tr key={rowKey(r, i)}>
                {columns.map((c, j) =>
                  j === 0 ? (
                    <th key={c.key} scope="row" className={c.numeric ? 'num' : undefined}>
                      {c.render(r)}
                    </th>
                  ) : (
                    <td key={c.key} className={c.numeric ? 'num' : undefined}>
                      {c.render(r)}
                    </td>
                  ),
                )}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The numbers behind a chart, folded away under it. */
export function ChartNumbers({ children, label = 'Show the numbers' }: { children: ReactNode; label?: string }) {
  return (
    <details className="chart-numbers">
      <summary>{label}</summary>
      {children}
    </details>
  );
}

/** A short note (why a filter does not apply, a fallback period…). */
export function Note({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'warn' }) {
  return <p className={`report-note report-note-${tone}`}>{children}</p>;
}
