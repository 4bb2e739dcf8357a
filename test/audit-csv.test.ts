/** The audit CSV neutralises every cell a spreadsheet would run as a formula, whatever column it is in. */
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/lib/csv.js';
import { auditCsvLines } from '../src/store/auditQueries.js';
import type { AuditEvent } from '../src/store/schema.js';

describe('auditCsvLines', () => {
  it('prefixes cells starting with = + - @ (and tab or carriage return) with a quote, and leaves the rest', () => {
    const row = (over: Partial<AuditEvent>): AuditEvent => ({ id: 1, brand_id: 1, created_at: Date.UTC(2026, 11, 5), actor: 'user:1', action: 'x.y', subject_type: 'thing', subject_id: 'plain', conversation_id: null, data: '{}', ...over }) as AuditEvent;
    const names = new Map([['user:1', '@SUM(1+1)'], ['user:2', 'Ada Admin']]);
    const text = auditCsvLines([row({ subject_id: '=HYPERLINK("https://evil.example","x")' }), row({ id: 2, actor: 'user:2', subject_id: '+1', data: '-2' }), row({ id: 3, actor: 'user:2', subject_id: '\tcmd' })], names);
    const rows = parseCsv(text).map((x) => (x.kind === 'record' ? x.fields : ['ERROR']));
    expect(rows[0]![3]).toBe("'@SUM(1+1)");
    expect(rows[0]![6]).toBe(`'=HYPERLINK("https://evil.example","x")`);
    expect(rows[1]![3]).toBe('Ada Admin');
    expect(rows[1]![6]).toBe("'+1");
    expect(rows[1]![8]).toBe("'-2");
    expect(rows[2]![6]).toBe("'\tcmd");
  });
});
