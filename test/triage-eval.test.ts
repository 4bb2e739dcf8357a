/**
 * Triage quality on the real dev data in ../shared/data, with floors at the figures
 * the shipped model reaches (docs/model-card.md), so a regression fails CI.
 *
 * Permissive sets are measured only on their held-out bucket (src/triage/split.ts):
 * rows the shipped model never trained on. Complaints and TWCS are never trained on.
 * Also checks the `parley eval` / `parley train` command-line contract.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TriageModel } from '../src/core/triage/model.js';
import { repoRoot, sharedDataDir } from '../src/lib/paths.js';
import { readTable } from '../src/triage/datasets.js';
import { evaluateTable, type EvalTask } from '../src/triage/eval.js';
import { loadModel, SHIPPED_MODEL_PATH } from '../src/triage/model-io.js';
import { isHeldOut } from '../src/triage/split.js';

const data = sharedDataDir();
let model: TriageModel;
beforeAll(() => {
  model = loadModel(SHIPPED_MODEL_PATH);
});

function evalOn(task: EvalTask, file: string, heldOutOnly: boolean) {
  const table = readTable(join(data!, file));
  return evaluateTable(task, table, model, heldOutOnly ? { rowFilter: isHeldOut } : {});
}

describe.skipIf(!data)('triage on the dev data (floors = what the shipped model reaches)', () => {
  it('sentiment (TweetEval, held-out rows): macro-recall ≥ 0.67, above VADER and majority', () => {
    const r = evalOn('sentiment', 'tweeteval/sentiment.csv', true);
    expect(r.n).toBeGreaterThan(2000);
    expect(r.macro_recall).toBeGreaterThanOrEqual(0.67);
    expect(r.macro_recall).toBeGreaterThan(r.baselines.vader!.macro_recall + 0.05);
    expect(r.macro_recall).toBeGreaterThan(r.baselines.majority!.macro_recall);
  });

  it('offensive (TweetEval, held-out rows): macro-F1 ≥ 0.73', () => {
    const r = evalOn('offensive', 'tweeteval/offensive.csv', true);
    expect(r.macro_f1).toBeGreaterThanOrEqual(0.73);
  });

  it('spam (SMS Spam Collection, held-out rows): F1 on spam ≥ 0.95', () => {
    const r = evalOn('spam', 'sms_spam_collection/sms_spam.csv', true);
    expect(r.per_class.spam!.f1).toBeGreaterThanOrEqual(0.95);
  });

  it('spam (YouTube comments, held-out rows): F1 on spam ≥ 0.90', () => {
    const r = evalOn('spam', 'youtube_spam/Youtube05-Shakira.csv', true);
    expect(r.per_class['1']!.f1).toBeGreaterThanOrEqual(0.9);
  });

  it('intent (banking77, held-out rows): accuracy ≥ 0.85 over 77 intents', () => {
    const r = evalOn('intent', 'banking77/banking77.csv', true);
    expect(Object.keys(r.per_class)).toHaveLength(77);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('complaint (Preoţiuc-Pietro 2019, never trained on): macro-F1 ≥ 0.73, above VADER', () => {
    const r = evalOn('complaint', 'complaints_preotiuc2019/complaints.csv', false);
    expect(r.n).toBe(2788);
    expect(r.macro_f1).toBeGreaterThanOrEqual(0.73);
    expect(r.macro_f1).toBeGreaterThan(r.baselines.vader!.macro_f1 + 0.08);
  });

  it('needs-response (TWCS head, never trained on): macro-F1 ≥ 0.66', () => {
    const r = evalOn('needs-response', 'twcs/twcs_head5k.csv', false);
    expect(r.n).toBe(2233);
    expect(r.macro_f1).toBeGreaterThanOrEqual(0.66);
    expect(r.macro_f1).toBeGreaterThan(r.baselines.majority!.macro_f1 + 0.2);
  });

  it('sentiment transfers to brand mentions (airline, AmazonHelp; never trained on): macro-F1 ≥ 0.60', () => {
    expect(evalOn('sentiment', 'twitter_airline_sentiment/Tweets.csv', false).macro_f1).toBeGreaterThanOrEqual(0.6);
    expect(evalOn('sentiment', 'twcs/amazonhelp_sentiment300.csv', false).macro_f1).toBeGreaterThanOrEqual(0.65);
  });

  it('spam does not fire on ordinary customer-care tweets (TWCS inbound: < 1 % flagged)', () => {
    const table = readTable(join(data!, 'twcs/twcs_head5k.csv'));
    const r = evaluateTable('needs-response', table, model);
    expect(r.n).toBeGreaterThan(0);
    // count spam calls through the spam task on the inbound texts
    const inbound = { ...table, header: ['text', 'label'], rows: table.rows.filter((x) => x.inbound === 'True').map((x) => ({ text: x.text!, label: 'ham' })) };
    const s = evaluateTable('spam', inbound, model);
    expect(1 - s.accuracy).toBeLessThan(0.01);
  });
});

describe('command line contract', () => {
  const fixture = join(repoRoot, 'test', 'fixtures', 'triage', 'tweeteval_sentiment.csv');
  const parley = join(repoRoot, 'bin', 'parley.js');

  it('parley eval <task> --file <csv> --json prints one JSON object with the agreed keys', () => {
    const out = execFileSync(process.execPath, [parley, 'eval', 'sentiment', '--file', fixture, '--json'], { encoding: 'utf8', cwd: repoRoot });
    const r = JSON.parse(out.trim());
    for (const k of ['task', 'n', 'accuracy', 'macro_f1', 'macro_recall', 'per_class', 'ms_per_item', 'baselines']) expect(r, k).toHaveProperty(k);
    expect(r.task).toBe('sentiment');
    expect(Object.keys(r.per_class).sort()).toEqual(['0', '1', '2']);
    expect(Object.keys(r.baselines).sort()).toEqual(['majority', 'vader']);
    for (const c of Object.values(r.per_class) as Record<string, number>[]) expect(Object.keys(c).sort()).toEqual(['f1', 'precision', 'recall', 'support']);
  });

  it('parley eval without --json prints a table; bad usage exits 2', () => {
    const ok = spawnSync(process.execPath, [parley, 'eval', 'spam', '--file', join(repoRoot, 'test', 'fixtures', 'triage', 'sms_spam.csv')], { encoding: 'utf8', cwd: repoRoot });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/macroF1/);
    expect(ok.stdout).toMatch(/majority/);
    const bad = spawnSync(process.execPath, [parley, 'eval', 'nonsense', '--file', fixture], { encoding: 'utf8', cwd: repoRoot });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown task/);
  });

  it('parley train --from-history on a desk without corrections says so and exits non-zero', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-train-empty-'));
    try {
      const r = spawnSync(process.execPath, [parley, 'train', '--from-history'], { encoding: 'utf8', cwd: repoRoot, env: withoutDatabaseUrl({ ...process.env, PARLEY_DATA_DIR: dataDir }) });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/0 corrected messages .*not enough to learn from yet/);
      expect(existsSync(join(dataDir, 'models', 'triage-team.bin.gz'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function withoutDatabaseUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  delete env.DATABASE_URL;
  return env;
}
