/**
 * Every word-index lookup (`message_fts MATCH`) a SQLite desk runs while it is watched, and
 * whether a transaction was open on the store's connection then: how the quote tests show a
 * lookup runs before, not inside, the write transaction. `stop()` puts `prepare` back.
 */
import type { Database, Statement } from 'better-sqlite3';

export function watchWordIndexLookups(sqlite: Database): { insideTransaction: boolean[]; stop: () => void } {
  const insideTransaction: boolean[] = [];
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    const st = prepare(source) as Statement;
    if (!/message_fts MATCH/i.test(source)) return st;
    const all = st.all.bind(st);
    st.all = ((...args: unknown[]) => {
      insideTransaction.push(sqlite.inTransaction);
      return all(...args);
    }) as typeof st.all;
    return st;
  }) as typeof sqlite.prepare;
  return { insideTransaction, stop: () => void (sqlite.prepare = prepare) };
}
