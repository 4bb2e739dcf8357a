/**
 * The care workflow: SLA state per conversation, the team queue, reply
 * sign-off, expert requests, out-of-hours acknowledgements, playbooks and
 * snippets, and incidents (mass problems).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema.alterTable('conversation').addColumn('sla', 'text').execute();
  await db.schema.alterTable('conversation').addColumn('queued_at', 'bigint').execute();
  await db.schema.alterTable('conversation').addColumn('incident_id', 'bigint').execute();
  await db.schema.createIndex('conversation_queue').on('conversation').columns(['team_id', 'assignee_id', 'status']).execute();
  await db.schema.createIndex('conversation_due').on('conversation').columns(['brand_id', 'sla_due_at']).execute();

  await db.schema.alterTable('message').addColumn('approval_reasons', 'text').execute();
  await db.schema.alterTable('message').addColumn('reviewed_by', 'bigint').execute();
  await db.schema.alterTable('message').addColumn('reviewed_at', 'bigint').execute();
  await db.schema.alterTable('message').addColumn('review_note', 'text').execute();
  await db.schema.createIndex('message_status').on('message').columns(['brand_id', 'status']).execute();

  await db.schema
    .createTable('expert_request')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint', (c) => c.notNull())
    .addColumn('asked_by', 'bigint', (c) => c.notNull())
    .addColumn('expert_id', 'bigint')
    .addColumn('team_id', 'bigint')
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint')
    .addColumn('answered_by', 'bigint')
    .addColumn('answer_note_id', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('answered_at', 'bigint')
    .execute();
  await db.schema.createIndex('expert_request_conversation').on('expert_request').columns(['conversation_id']).execute();
  await db.schema.createIndex('expert_request_expert').on('expert_request').columns(['brand_id', 'status']).execute();

  await db.schema
    .createTable('auto_ack')
    .addColumn('id', ...id)
    .addColumn('conversation_id', 'bigint', (c) => c.notNull())
    .addColumn('period_key', 'text', (c) => c.notNull())
    .addColumn('message_id', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('auto_ack_once', ['conversation_id', 'period_key'])
    .execute();

  await db.schema
    .createTable('playbook')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('match', 'text', (c) => c.notNull())
    .addColumn('outline', 'text', (c) => c.notNull())
    .addColumn('snippets', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('snippet')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('shortcut', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('snippet_shortcut', ['brand_id', 'shortcut'])
    .execute();

  await db.schema
    .createTable('incident')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('statement_message_id', 'bigint')
    .execute();
  await db.schema.createIndex('incident_brand').on('incident').columns(['brand_id', 'status']).execute();
}
