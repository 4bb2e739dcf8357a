/**
 * The initial schema. Portable column types only (see ../schema.ts); the two
 * dialect-specific pieces are ids (identity vs rowid) and full-text search
 * (FTS5 external-content table vs a generated tsvector column with GIN).
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect, id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('brand')
    .addColumn('id', ...id)
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('team')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('routing_strategy', 'text', (c) => c.notNull().defaultTo('round_robin'))
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('team_brand_name', ['brand_id', 'name'])
    .execute();

  await db.schema
    .createTable('app_user')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('availability', 'text', (c) => c.notNull().defaultTo('offline'))
    .addColumn('capacity', 'integer', (c) => c.notNull().defaultTo(8))
    .addColumn('skills', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint')
    .addColumn('disabled_at', 'bigint')
    .execute();
  await db.schema.createIndex('app_user_brand').on('app_user').columns(['brand_id']).execute();

  await db.schema
    .createTable('team_member')
    .addColumn('team_id', 'bigint', (c) => c.notNull().references('team.id'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('app_user.id'))
    .addColumn('is_lead', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('team_member_pk', ['team_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('app_user.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();

  await db.schema
    .createTable('api_token')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('app_user.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('channel_account')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id'))
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('driver', 'text')
    .addColumn('handle', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('purpose', 'text', (c) => c.notNull().defaultTo('care'))
    .addColumn('listen_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('health', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('credentials', 'text')
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('cursor', 'text')
    .addColumn('calendar', 'text')
    .addColumn('last_sync_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('channel_account_identity', ['brand_id', 'network', 'external_id'])
    .execute();

  await db.schema
    .createTable('contact')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id'))
    .addColumn('display_name', 'text')
    .addColumn('crm_customer_id', 'text')
    .addColumn('crm_consent_at', 'bigint')
    .addColumn('crm_linked_by', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('contact_identity')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull().references('contact.id'))
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('network_user_id', 'text', (c) => c.notNull())
    .addColumn('handle', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('followers', 'bigint')
    .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('profile_url', 'text')
    .addColumn('avatar_url', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('contact_identity_network_user', ['brand_id', 'network', 'network_user_id'])
    .execute();
  await db.schema.createIndex('contact_identity_contact').on('contact_identity').columns(['contact_id']).execute();

  await db.schema
    .createTable('conversation')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id'))
    .addColumn('channel_account_id', 'bigint', (c) => c.notNull().references('channel_account.id'))
    .addColumn('contact_id', 'bigint', (c) => c.references('contact.id'))
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('assignee_id', 'bigint', (c) => c.references('app_user.id'))
    .addColumn('team_id', 'bigint', (c) => c.references('team.id'))
    .addColumn('subject', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_message_at', 'bigint', (c) => c.notNull())
    .addColumn('last_inbound_at', 'bigint')
    .addColumn('last_outbound_at', 'bigint')
    .addColumn('waiting_since', 'bigint')
    .addColumn('first_response_at', 'bigint')
    .addColumn('cycle_started_at', 'bigint', (c) => c.notNull())
    .addColumn('cycle_first_response_at', 'bigint')
    .addColumn('resolved_at', 'bigint')
    .addColumn('reopened_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('snoozed_until', 'bigint')
    .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('sentiment', 'text')
    .addColumn('category', 'text')
    .addColumn('triage_action', 'text')
    .addColumn('intent', 'text')
    .addColumn('language', 'text')
    .addColumn('sla_due_at', 'bigint')
    .addColumn('sla_state', 'text')
    .execute();
  // The inbox: newest activity first within a status, per brand.
  await db.schema.createIndex('conversation_inbox').on('conversation').columns(['brand_id', 'status', 'last_message_at', 'id']).execute();
  await db.schema.createIndex('conversation_recent').on('conversation').columns(['brand_id', 'last_message_at', 'id']).execute();
  await db.schema.createIndex('conversation_assignee').on('conversation').columns(['assignee_id', 'status']).execute();
  await db.schema.createIndex('conversation_team').on('conversation').columns(['team_id', 'status']).execute();
  // Threading by "same author on the same channel within a window".
  await db.schema.createIndex('conversation_contact').on('conversation').columns(['contact_id', 'channel_account_id', 'last_message_at']).execute();

  await db.schema
    .createTable('conversation_label')
    .addColumn('conversation_id', 'bigint', (c) => c.notNull().references('conversation.id'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_label_pk', ['conversation_id', 'label'])
    .execute();
  await db.schema.createIndex('conversation_label_label').on('conversation_label').columns(['label']).execute();

  await db.schema
    .createTable('message')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint', (c) => c.notNull().references('conversation.id'))
    .addColumn('channel_account_id', 'bigint', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('network_message_id', 'text')
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('author_identity_id', 'bigint')
    .addColumn('author_user_id', 'bigint')
    .addColumn('in_reply_to_network_id', 'text')
    .addColumn('thread_root_network_id', 'text')
    .addColumn('reply_to_message_id', 'bigint')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('text_escaped', 'text')
    .addColumn('url', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('raw', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('is_auto', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('triage', 'text')
    .addColumn('triage_action', 'text')
    .addColumn('triage_category', 'text')
    .addColumn('sentiment', 'text')
    .addColumn('complaint', 'integer')
    .addColumn('accolade', 'integer')
    .addColumn('chaser', 'integer')
    .addColumn('intent', 'text')
    .addColumn('language', 'text')
    .addColumn('priority', 'integer')
    .addColumn('first_reply_at', 'bigint')
    .execute();
  // Nothing doubled: one row per network item per brand, and per client idempotency key.
  await db.schema.createIndex('message_network_id').unique().on('message').columns(['brand_id', 'network', 'network_message_id']).execute();
  await db.schema.createIndex('message_idempotency').unique().on('message').columns(['brand_id', 'idempotency_key']).execute();
  await db.schema.createIndex('message_conversation').on('message').columns(['conversation_id', 'created_at']).execute();
  await db.schema.createIndex('message_in_reply_to').on('message').columns(['brand_id', 'in_reply_to_network_id']).execute();

  await db.schema
    .createTable('note')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint', (c) => c.notNull().references('conversation.id'))
    .addColumn('author_user_id', 'bigint', (c) => c.notNull().references('app_user.id'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('mentions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('note_conversation').on('note').columns(['conversation_id', 'created_at']).execute();

  await db.schema
    .createTable('audit_event')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('actor_user_id', 'bigint')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint')
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_event_conversation').on('audit_event').columns(['conversation_id', 'id']).execute();
  await db.schema.createIndex('audit_event_brand').on('audit_event').columns(['brand_id', 'created_at']).execute();

  await db.schema
    .createTable('reporting_fact')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint')
    .addColumn('message_id', 'bigint')
    .addColumn('agent_id', 'bigint')
    .addColumn('team_id', 'bigint')
    .addColumn('channel_account_id', 'bigint')
    .addColumn('network', 'text')
    .addColumn('visibility', 'text')
    .addColumn('priority', 'integer')
    .addColumn('category', 'text')
    .addColumn('value_s', 'double precision')
    .addColumn('business_s', 'double precision')
    .addColumn('hour_of_week', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .execute();
  await db.schema.createIndex('reporting_fact_kind_time').on('reporting_fact').columns(['brand_id', 'kind', 'occurred_at']).execute();

  await db.schema
    .createTable('quarantine')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('line', 'integer')
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('message_id', 'bigint', (c) => c.notNull().unique().references('message.id'))
    .addColumn('channel_account_id', 'bigint', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('locked_by', 'text')
    .addColumn('last_error_code', 'text')
    .addColumn('last_error', 'text')
    .addColumn('network_message_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();

  await db.schema
    .createTable('job')
    .addColumn('id', ...id)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.unique())
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(10))
    .addColumn('locked_until', 'bigint')
    .addColumn('locked_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('job_due').on('job').columns(['run_at']).execute();

  await db.schema
    .createTable('notification')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('read_at', 'bigint')
    .execute();
  await db.schema.createIndex('notification_user').on('notification').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('kv')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // Full-text search over message text.
  if (dialect === 'sqlite') {
    await sql`CREATE VIRTUAL TABLE message_fts USING fts5(text, content='message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`.execute(db);
    await sql`CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN
      INSERT INTO message_fts(rowid, text) VALUES (new.id, new.text); END`.execute(db);
    await sql`CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN
      INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text); END`.execute(db);
    await sql`CREATE TRIGGER message_fts_update AFTER UPDATE OF text ON message BEGIN
      INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text);
      INSERT INTO message_fts(rowid, text) VALUES (new.id, new.text); END`.execute(db);
  } else {
    await sql`ALTER TABLE message ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', left(text, 200000))) STORED`.execute(db);
    await sql`CREATE INDEX message_search ON message USING gin (search)`.execute(db);
  }
}
