/** Every migration, in order. Append new files here; never edit a shipped one. */
import type { MigrationModule } from '../migrate.js';
import * as m20261123T1900 from './20261123T1900_initial_schema.js';
import * as m20261123T2000 from './20261123T2000_channel_sync_lease.js';
import * as m20261123T2010 from './20261123T2010_live_event.js';
import * as m20261123T2020 from './20261123T2020_fact_dimensions.js';
import * as m20261123T2030 from './20261123T2030_moderation_crm.js';
import * as m20261123T2040 from './20261123T2040_workflow.js';
import * as m20261123T2050 from './20261123T2050_fts_batched.js';
import * as m20261123T2100 from './20261123T2100_triage_corrections.js';
import * as m20261123T2110 from './20261123T2110_fact_rollup.js';
import * as m20261203T0800 from './20261203T0800_backlog_index.js';
import * as m20261203T1600 from './20261203T1600_expert_request_overdue.js';
import * as m20261203T1610 from './20261203T1610_viewing_span.js';
import * as m20261204T2100 from './20261204T2100_raw_lz4.js';
import * as m20261205T0600 from './20261205T0600_team_name_nocase.js';
import * as m20261205T0700 from './20261205T0700_moderation_identity.js';
import * as m20261205T1000 from './20261205T1000_api_token_expiry.js';
import * as m20261205T1100 from './20261205T1100_conversation_active_index.js';
import * as m20261205T1200 from './20261205T1200_fact_message_index.js';
import * as m20261205T1210 from './20261205T1210_message_answered_facts.js';
import * as m20261205T1220 from './20261205T1220_conversation_snoozed_index.js';
import * as m20261205T1310 from './20261205T1310_user_absence.js';
import * as m20261205T1320 from './20261205T1320_webchat_visitor.js';
import * as m20261205T1330 from './20261205T1330_emoji_search.js';
import * as m20261205T1400 from './20261205T1400_conversation_incident_index.js';
import * as m20261205T1520 from './20261205T1520_message_redaction.js';
import * as m20261205T1530 from './20261205T1530_message_retention_index.js';
import * as m20261205T1540 from './20261205T1540_conversation_origin.js';
import * as m20261205T2200 from './20261205T2200_message_raw_kept_untrimmed.js';
import * as m20261206T0030 from './20261206T0030_gone_check_position.js';
import * as m20261206T0100 from './20261206T0100_quarantine_lookup.js';
import * as m20261206T0300 from './20261206T0300_two_factor.js';
import * as m20261206T0400 from './20261206T0400_password_reset.js';
import * as m20261206T0700 from './20261206T0700_sso.js';
import * as m20261206T0900 from './20261206T0900_scim.js';
import * as m20261206T0910 from './20261206T0910_sign_in_attempts.js';
import * as m20261206T0920 from './20261206T0920_contact_merge_index.js';
import * as m20261206T1300 from './20261206T1300_passkeys.js';
import * as m20261206T1310 from './20261206T1310_scim_groups.js';
import * as m20261206T1320 from './20261206T1320_sso_logout.js';
import * as m20261206T1330 from './20261206T1330_contact_search.js';
import * as m20261206T1340 from './20261206T1340_webhooks.js';
import * as m20261206T1610 from './20261206T1610_sso_logout_jti.js';
import * as m20261206T1620 from './20261206T1620_message_original_sent_at.js';
import * as m20261206T1630 from './20261206T1630_contact_search_keys.js';
import * as m20261206T1900 from './20261206T1900_saml.js';
import * as m20261206T1910 from './20261206T1910_monotonic_ids.js';
import * as m20261206T1920 from './20261206T1920_network_hidden.js';
import * as m20261206T1930 from './20261206T1930_retired_team.js';
import * as m20261206T1940 from './20261206T1940_notification_conversation.js';
import * as m20261206T2000 from './20261206T2000_contact_name_words.js';
import * as m20261206T2010 from './20261206T2010_saml_sp_keys.js';
import * as m20261206T2020 from './20261206T2020_network_hidden_checked.js';
import * as m20261206T2050 from './20261206T2050_drop_contact_name_fts.js';
import * as m20261206T2060 from './20261206T2060_saml_logout.js';
import * as m20261206T2070 from './20261206T2070_message_hidden_index.js';
import * as m20261207T0130 from './20261207T0130_expert_quote.js';
import * as m20261207T0140 from './20261207T0140_webhook_include_history.js';
import * as m20261207T0200 from './20261207T0200_quote_passages.js';
import * as m20261207T0210 from './20261207T0210_channel_backfill_before.js';
import * as m20261207T0230 from './20261207T0230_fts_secure_delete.js';
import * as m20261207T0310 from './20261207T0310_quote_passages_backfill.js';
import * as m20261207T0320 from './20261207T0320_listening_backfill_before.js';
import * as m20261207T0330 from './20261207T0330_saml_idp_initiated.js';
import * as m20261207T1500 from './20261207T1500_history_resolution_backfill.js';
import * as m20261207T1520 from './20261207T1520_crm_consent_ask.js';
import * as m20261207T1530 from './20261207T1530_withdrawn_answer.js';
import * as m20261207T1540 from './20261207T1540_emoji_terms_by_writer.js';
import * as m20261207T1700 from './20261207T1700_expert_answer_revision.js';
import * as m20261207T1710 from './20261207T1710_incident_next_update.js';
import * as m20261207T1720 from './20261207T1720_network_report.js';
import * as m20261207T1740 from './20261207T1740_snippet_variants.js';
import * as m20261207T1800 from './20261207T1800_availability_audit_index.js';

export const migrations: Record<string, MigrationModule> = {
  '20261123T1900_initial_schema': m20261123T1900,
  '20261123T2000_channel_sync_lease': m20261123T2000,
  '20261123T2010_live_event': m20261123T2010,
  '20261123T2020_fact_dimensions': m20261123T2020,
  '20261123T2030_moderation_crm': m20261123T2030,
  '20261123T2040_workflow': m20261123T2040,
  '20261123T2050_fts_batched': m20261123T2050,
  '20261123T2100_triage_corrections': m20261123T2100,
  '20261123T2110_fact_rollup': m20261123T2110,
  '20261203T0800_backlog_index': m20261203T0800,
  '20261203T1600_expert_request_overdue': m20261203T1600,
  '20261203T1610_viewing_span': m20261203T1610,
  '20261204T2100_raw_lz4': m20261204T2100,
  '20261205T0600_team_name_nocase': m20261205T0600,
  '20261205T0700_moderation_identity': m20261205T0700,
  '20261205T1000_api_token_expiry': m20261205T1000,
  '20261205T1100_conversation_active_index': m20261205T1100,
  '20261205T1200_fact_message_index': m20261205T1200,
  '20261205T1210_message_answered_facts': m20261205T1210,
  '20261205T1220_conversation_snoozed_index': m20261205T1220,
  '20261205T1310_user_absence': m20261205T1310,
  '20261205T1320_webchat_visitor': m20261205T1320,
  '20261205T1330_emoji_search': m20261205T1330,
  '20261205T1400_conversation_incident_index': m20261205T1400,
  '20261205T1520_message_redaction': m20261205T1520,
  '20261205T1530_message_retention_index': m20261205T1530,
  '20261205T1540_conversation_origin': m20261205T1540,
  '20261205T2200_message_raw_kept_untrimmed': m20261205T2200,
  '20261206T0030_gone_check_position': m20261206T0030,
  '20261206T0100_quarantine_lookup': m20261206T0100,
  '20261206T0300_two_factor': m20261206T0300,
  '20261206T0400_password_reset': m20261206T0400,
  '20261206T0700_sso': m20261206T0700,
  '20261206T0900_scim': m20261206T0900,
  '20261206T0910_sign_in_attempts': m20261206T0910,
  '20261206T0920_contact_merge_index': m20261206T0920,
  '20261206T1300_passkeys': m20261206T1300,
  '20261206T1310_scim_groups': m20261206T1310,
  '20261206T1320_sso_logout': m20261206T1320,
  '20261206T1330_contact_search': m20261206T1330,
  '20261206T1340_webhooks': m20261206T1340,
  '20261206T1610_sso_logout_jti': m20261206T1610,
  '20261206T1620_message_original_sent_at': m20261206T1620,
  '20261206T1630_contact_search_keys': m20261206T1630,
  '20261206T1900_saml': m20261206T1900,
  '20261206T1910_monotonic_ids': m20261206T1910,
  '20261206T1920_network_hidden': m20261206T1920,
  '20261206T1930_retired_team': m20261206T1930,
  '20261206T1940_notification_conversation': m20261206T1940,
  '20261206T2000_contact_name_words': m20261206T2000,
  '20261206T2010_saml_sp_keys': m20261206T2010,
  '20261206T2020_network_hidden_checked': m20261206T2020,
  '20261206T2050_drop_contact_name_fts': m20261206T2050,
  '20261206T2060_saml_logout': m20261206T2060,
  '20261206T2070_message_hidden_index': m20261206T2070,
  '20261207T0130_expert_quote': m20261207T0130,
  '20261207T0140_webhook_include_history': m20261207T0140,
  '20261207T0200_quote_passages': m20261207T0200,
  '20261207T0210_channel_backfill_before': m20261207T0210,
  '20261207T0230_fts_secure_delete': m20261207T0230,
  '20261207T0310_quote_passages_backfill': m20261207T0310,
  '20261207T0320_listening_backfill_before': m20261207T0320,
  '20261207T0330_saml_idp_initiated': m20261207T0330,
  '20261207T1500_history_resolution_backfill': m20261207T1500,
  '20261207T1520_crm_consent_ask': m20261207T1520,
  '20261207T1530_withdrawn_answer': m20261207T1530,
  '20261207T1540_emoji_terms_by_writer': m20261207T1540,
  '20261207T1700_expert_answer_revision': m20261207T1700,
  '20261207T1710_incident_next_update': m20261207T1710,
  '20261207T1720_network_report': m20261207T1720,
  '20261207T1740_snippet_variants': m20261207T1740,
  '20261207T1800_availability_audit_index': m20261207T1800,
};
