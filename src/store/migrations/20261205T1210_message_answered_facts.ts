/**
 * The response rate counts answered messages at their arrival (docs/metrics.md): each inbound
 * message that got a first reply gets a `message_answered` fact, the twin of its `inbound` fact.
 * Written from now on with every `message_response` (src/store/rollup.ts); here for the replies
 * already recorded. Replies sent from the desk recorded their `message_response` without the
 * answered message's triage (needs-response, sentiment): it is taken from that message's
 * inbound fact. The rollups are rebuilt from the facts at the next start (`rollup.rebuild`), when
 * anything was re-filed.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  const inbound = (col: string) => sql`(SELECT i.${sql.ref(col)} FROM reporting_fact i WHERE i.kind = 'inbound' AND i.message_id = reporting_fact.message_id ORDER BY i.id LIMIT 1)`;
  await sql`UPDATE reporting_fact SET needs_response = ${inbound('needs_response')}, sentiment = COALESCE(sentiment, ${inbound('sentiment')})
    WHERE kind = 'message_response' AND needs_response IS NULL AND message_id IS NOT NULL`.execute(db);
  await sql`INSERT INTO reporting_fact (brand_id, kind, occurred_at, conversation_id, message_id, agent_id, team_id, channel_account_id, network, visibility, priority, category, value_s, business_s, hour_of_week, day, data, needs_response, sentiment)
    SELECT i.brand_id, 'message_answered', i.occurred_at, i.conversation_id, i.message_id, i.agent_id, i.team_id, i.channel_account_id, i.network, i.visibility, i.priority, i.category, NULL, NULL, i.hour_of_week, i.day, NULL, i.needs_response, i.sentiment
    FROM reporting_fact i
    WHERE i.kind = 'inbound' AND i.message_id IS NOT NULL
      AND i.id = (SELECT MIN(f.id) FROM reporting_fact f WHERE f.kind = 'inbound' AND f.message_id = i.message_id)
      AND EXISTS (SELECT 1 FROM reporting_fact r WHERE r.kind = 'message_response' AND r.message_id = i.message_id)
      AND NOT EXISTS (SELECT 1 FROM reporting_fact a WHERE a.kind = 'message_answered' AND a.message_id = i.message_id)`.execute(db);
  // only when there was anything to re-file (a new database has nothing to rebuild)
  await sql`INSERT INTO kv (key, value, updated_at) SELECT 'rollup.rebuild', '1', 0 WHERE EXISTS (SELECT 1 FROM reporting_fact WHERE kind = 'message_answered') ON CONFLICT (key) DO NOTHING`.execute(db);
}
