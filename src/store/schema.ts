/**
 * Kysely table types. The same schema runs on SQLite and PostgreSQL, so the
 * column types are the portable subset: integers (flags are 0/1), bigint
 * milliseconds for times, text (JSON as text), double precision for durations.
 * Ids are integers that PostgreSQL's int8 parser turns into JS numbers.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Id = Generated<number>;
/** JSON stored as text. */
type Json = string;

export interface BrandTable {
  id: Id;
  slug: string;
  name: string;
  timezone: string;
  settings: Json;
  created_at: number;
}

export interface TeamTable {
  id: Id;
  brand_id: number;
  name: string;
  /** round_robin | least_loaded | skills | manual */
  routing_strategy: string;
  /** JSON; `expertTargetMin`: as an expert group, its own answer target (else the brand's). */
  settings: Json;
  created_at: number;
  /** The SCIM token that provisions the team as a group (null: an admin's team, which SCIM leaves alone). */
  scim_token_id: number | null;
  /** The identity provider's own id of the group (SCIM externalId). */
  scim_external_id: string | null;
  /** When SCIM last changed the team (the group's meta.lastModified). */
  scim_updated_at: number | null;
}

/** The name of a team that is gone (migration 20261206T1930_retired_team), for the reports of its past facts. */
export interface RetiredTeamTable {
  /** The team's id (its facts keep it). */
  id: number;
  brand_id: number;
  name: string;
  retired_at: number;
}

export interface UserTable {
  id: Id;
  brand_id: number;
  email: string;
  name: string;
  /** agent | expert | approver | admin */
  role: string;
  password_hash: string | null;
  availability: string;
  capacity: number;
  skills: Json;
  settings: Json;
  created_at: number;
  last_seen_at: number | null;
  disabled_at: number | null;
  /** Set offline by the system for being away from the desk (not by themselves): online again when they come back. */
  absent_since: number | null;
  /** The authenticator's base32 secret, sealed (SecretBox): set at two-factor setup, kept while pending and while enabled. */
  totp_secret: string | null;
  /** When two-factor sign-in was turned on; null = off (a pending setup may exist). */
  totp_enabled_at: number | null;
  /** The last TOTP time step accepted: a code is taken only for a later step (no replay). */
  totp_last_step: number | null;
  /** JSON array of the SHA-256 (hex) of the unused recovery codes. */
  totp_recovery: string | null;
}

export interface TeamMemberTable {
  team_id: number;
  user_id: number;
  is_lead: number;
}

export interface SessionTable {
  /** sha256 of the cookie token: a stolen database does not yield live sessions. */
  id: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
  /** The single sign-on provider the session was signed in with; null: a password (migration 20261206T0700_sso). */
  sso_provider_id: number | null;
  /** The passkey the session was signed in with, user verified; null: another way (migration 20261206T1300_passkeys). */
  passkey_id: number | null;
  /** The ID token of the single sign-on that made it, sealed: the provider's `id_token_hint` at sign-out (migration 20261206T1320_sso_logout). */
  sso_id_token: Generated<string | null>;
  /** The provider's session id (the ID token's `sid`), for its back-channel logout (migration 20261206T1320_sso_logout). */
  sso_sid: Generated<string | null>;
  /** SAML: the NameID (and Format) of the assertion that made it, sealed: the LogoutRequest's (migration 20261206T2060_saml_logout); its SessionIndex is `sso_sid`. */
  saml_name_id: Generated<string | null>;
  /** SAML: sha256 (hex) of that NameID, to find the sessions an IdP's LogoutRequest names. */
  saml_name_id_hash: Generated<string | null>;
}

export interface ApiTokenTable {
  id: Id;
  brand_id: number;
  user_id: number;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** null: until revoked. */
  expires_at: number | null;
}

/** A brand's OpenID Connect identity provider (migration 20261206T0700_sso). */
export interface SsoProviderTable {
  id: Id;
  brand_id: number;
  label: string;
  issuer: string;
  client_id: string;
  /** Sealed with the instance SecretBox; never returned by the API. */
  client_secret: string | null;
  /** JSON array of lower-case domains; [] = any verified email of an existing person. */
  allowed_domains: string;
  /** null: only people who already have an account sign in. Never admin. */
  auto_provision_role: string | null;
  /** `everyone` | `admins` (then the brand's other people sign in only with a provider). */
  password_sign_in: string;
  /** 1: the admin states the provider enforces MFA; its sign-ins satisfy the two-factor policy. */
  trusts_mfa: number;
  enabled: number;
  created_at: number;
  updated_at: number;
  /** 1: signing out of Parley signs out at the provider too, when it names an end_session_endpoint (migration 20261206T1320_sso_logout). */
  sign_out_at_provider: Generated<number>;
  /** `oidc` | `saml` (migration 20261206T1900_saml). A SAML provider keeps the IdP's entity id in `issuer` and '' in `client_id`. */
  protocol: Generated<string>;
  /** SAML: the IdP's single sign-on URL (HTTP-Redirect binding). */
  saml_sso_url: Generated<string | null>;
  /** SAML: JSON array of the IdP's signing certificates (PEM). */
  saml_idp_certs: Generated<string | null>;
  /** SAML: the attribute holding the email; null: NameID when of the emailAddress format, else `email` or the WS-Federation emailaddress claim. */
  saml_email_attribute: Generated<string | null>;
  /** SAML: the attribute holding the display name; null: `displayName` or Entra's displayname claim. */
  saml_name_attribute: Generated<string | null>;
  /** SAML: 1: the AuthnRequest is signed with the SP key (migration 20261206T2010_saml_sp_keys). */
  saml_sign_requests: Generated<number>;
  /** SAML: 1: only assertions encrypted to the SP key are taken. */
  saml_want_encrypted: Generated<number>;
  /** SAML: the SP private key (PEM), sealed; made when first needed; never shown. */
  saml_sp_key: Generated<string | null>;
  /** SAML: the SP key's self-signed certificate (PEM), published in the provider's SP metadata. */
  saml_sp_cert: Generated<string | null>;
  /** SAML: the IdP's SingleLogoutService URL (HTTP-Redirect); null: no single logout (migration 20261206T2060_saml_logout). */
  saml_slo_url: Generated<string | null>;
  /** SAML: 1: an unsolicited (IdP-initiated) Response is taken, signed and checked; 0: refused (migration 20261207T0330_saml_idp_initiated). */
  saml_idp_initiated: Generated<number>;
}

/** A brand's SCIM 2.0 bearer token (migration 20261206T0900_scim): only its SHA-256 is kept. */
export interface ScimTokenTable {
  id: Id;
  brand_id: number;
  /** Written to the audit trail as `scim:<label>`. */
  label: string;
  token_hash: string;
  prefix: string;
  /** The role of the people it creates: agent | expert | approver (never admin). */
  role: string;
  created_by: number | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** What a SCIM client said of a person that app_user does not hold. */
export interface ScimUserTable {
  user_id: number;
  brand_id: number;
  external_id: string | null;
  given_name: string | null;
  family_name: string | null;
  created_at: number;
  updated_at: number;
}

/** Who a provider's subject is in Parley. */
export interface SsoIdentityTable {
  id: Id;
  provider_id: number;
  subject: string;
  user_id: number;
  created_at: number;
  last_login_at: number | null;
}

/** One counted sign-in attempt (src/server/auth.ts `SignInLimits`): its counter's keyed hash, when, and when it leaves its window. */
export interface SignInAttemptTable {
  id: Id;
  key: string;
  at: number;
  expires_at: number;
}

/** An account at an address it signed in from (keyed hash), and when it last did. */
export interface SignInKnownTable {
  key: string;
  at: number;
}

/** A registered passkey (WebAuthn discoverable credential) of a person. */
export interface PasskeyTable {
  id: Id;
  brand_id: number;
  user_id: number;
  /** The authenticator's credential id, base64url. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  /** The signature counter last seen (0: the authenticator keeps none). */
  sign_count: number;
  /** JSON array of the transports the authenticator said it has. */
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

/** A passkey ceremony begun: taken once (deleted), before `expires_at`. */
export interface PasskeyChallengeTable {
  id: Id;
  /** sha256 (hex) of the challenge. */
  challenge_hash: string;
  purpose: 'register' | 'sign_in';
  /** Registration: the person and the session (sha256 id) that asked. */
  user_id: number | null;
  session_id: string | null;
  /** Sign-in: sha256 (hex) of the cookie that binds it to the browser that asked. */
  browser_hash: string | null;
  created_at: number;
  expires_at: number;
}

/** A logout token a provider's back-channel logout was done with: a replay of its `jti` is refused until `expires_at`. */
/** SAML assertions already taken, by issuer and ID, until they expire (migration 20261206T1900_saml). */
export interface SsoSamlAssertionTable {
  issuer: string;
  assertion_id: string;
  expires_at: number;
}

export interface SsoLogoutJtiTable {
  /** The provider's issuer, as the token names it (no trailing slash). */
  issuer: string;
  jti: string;
  expires_at: number;
}

/** A started single sign-on: taken once, within 10 minutes. */
export interface SsoLoginTable {
  id: Id;
  provider_id: number;
  /** sha256 (hex) of the `state` sent to the provider. */
  state_hash: string;
  /** sha256 (hex) of the cookie that binds the sign-in to the browser that started it. */
  browser_hash: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  next_path: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** Taken at the callback, the sign-in waits for this person's own second factor (migration 20261206T0700_sso). */
  pending_user_id: number | null;
  /** sha256 (hex) of the browser's token for the pending second step (the `parley_sso` cookie's new value). */
  pending_hash: string | null;
  /** Wrong codes so far: a few, and the pending sign-in is void. */
  pending_tries: Generated<number>;
  /** When a right code finished it (single use). */
  pending_done_at: number | null;
  /** The provider's ID token, sealed, while the sign-in waits for the second factor (migration 20261206T1320_sso_logout). */
  id_token: Generated<string | null>;
  /** The ID token's `sid` while the sign-in waits for the second factor (migration 20261206T1320_sso_logout). */
  sid: Generated<string | null>;
  /** SAML: the sealed NameID and its hash while the sign-in waits for the second factor (migration 20261206T2060_saml_logout). */
  saml_name_id: Generated<string | null>;
  saml_name_id_hash: Generated<string | null>;
}

/** A one-time password reset link an admin issued (migration 20261206T0400_password_reset). */
export interface PasswordResetTable {
  id: Id;
  user_id: number;
  /** sha256 (hex) of the link's token: the token itself is never stored. */
  token_hash: string;
  /** Who issued it: `user:<id>`, `token:<id>` or `system:cli`. */
  created_by: string;
  created_at: number;
  expires_at: number;
  /** null: not used yet. */
  used_at: number | null;
}

export interface ChannelAccountTable {
  id: Id;
  brand_id: number;
  network: string;
  /** Which connector delivers for this account: null = the network's own; `demo` = the demo channel. */
  driver: string | null;
  handle: string;
  external_id: string;
  display_name: string | null;
  /** care | brand */
  purpose: string;
  listen_only: number;
  /** active | unhealthy | disabled */
  status: string;
  health: Json;
  /** Encrypted credentials (AES-256-GCM with PARLEY_SECRET); never returned by the API. */
  credentials: string | null;
  settings: Json;
  cursor: string | null;
  calendar: Json | null;
  last_sync_at: number | null;
  created_at: number;
  sync_lease_until: number | null;
  sync_lease_owner: string | null;
  next_sync_at: number | null;
  /** When the check for deleted posts last ran for this account (src/channels/sync.ts); null = never. */
  gone_checked_at: number | null;
  /** The message id the next check for deleted posts goes on below; null = from the newest. */
  gone_check_below: number | null;
  /**
   * Network time before which the account's synced posts are a backfill (fetched from before the
   * desk listened: stored with source `backfill`, history to webhooks); null: none recorded
   * (src/channels/sync.ts).
   */
  backfill_before: number | null;
  /**
   * Backfill line of each listening term (JSON: term key → ms, or null for the account's line); null:
   * none kept yet (src/channels/listeningBackfill.ts).
   */
  listening_backfill_before: string | null;
}

export interface ContactTable {
  id: Id;
  brand_id: number;
  display_name: string | null;
  crm_customer_id: string | null;
  crm_consent_at: number | null;
  crm_linked_by: number | null;
  created_at: number;
  updated_at: number;
}

export interface ContactIdentityTable {
  id: Id;
  brand_id: number;
  contact_id: number;
  network: string;
  network_user_id: string;
  handle: string;
  display_name: string | null;
  followers: number | null;
  verified: number;
  profile_url: string | null;
  avatar_url: string | null;
  created_at: number;
  updated_at: number;
  /** `handle` folded for contact search (src/core/searchKey.ts); every writer of `handle` writes it. */
  handle_key: string | null;
  /** An email identity's address folded likewise (null on other networks). */
  address_key: string | null;
}

/**
 * One word of an identity's display name, for contact search (src/core/nameWords.ts,
 * src/store/contactNameWords.ts): keyed by its first three letters, then newest identity
 * first, so the identities with a word starting with a 3-letter prefix are read in the
 * page's order, up to the page. Written by ingest with the name; removed by the database
 * when the name changes or the identity goes (the erasure's rewrite too).
 */
export interface ContactNameWordTable {
  brand_id: number;
  /** The word's first three code points (the whole word when shorter). */
  word_key: string;
  /** The word folded (NFC, lowercase; at most 200 code points). */
  word: string;
  identity_id: number;
}

export interface ConversationTable {
  id: Id;
  brand_id: number;
  channel_account_id: number;
  contact_id: number | null;
  network: string;
  visibility: string;
  status: string;
  priority: number;
  assignee_id: number | null;
  team_id: number | null;
  subject: string;
  created_at: number;
  updated_at: number;
  last_message_at: number;
  last_inbound_at: number | null;
  last_outbound_at: number | null;
  /** Oldest inbound message not yet answered; null when nothing awaits a reply. */
  waiting_since: number | null;
  first_response_at: number | null;
  /** Start of the current cycle: creation, or the latest reopening. */
  cycle_started_at: number;
  cycle_first_response_at: number | null;
  resolved_at: number | null;
  reopened_count: number;
  snoozed_until: number | null;
  message_count: number;
  /** Bumped on every change; replies carry the version they were written against. */
  version: number;
  sentiment: string | null;
  category: string | null;
  triage_action: string | null;
  intent: string | null;
  language: string | null;
  sla_due_at: number | null;
  sla_state: string | null;
  /** JSON: the current SLA clocks, and which transitions were already announced. */
  sla: Json | null;
  /** When it entered its team's queue (unassigned), for priority-then-age order. */
  queued_at: number | null;
  incident_id: number | null;
  /** The kind of the message that opened it (`MESSAGE_KINDS`: `listening` = found by keyword listening, not addressed to the brand); null before any. */
  origin: string | null;
}

export interface ConversationLabelTable {
  conversation_id: number;
  label: string;
}

export interface MessageTable {
  id: Id;
  brand_id: number;
  conversation_id: number;
  channel_account_id: number;
  network: string;
  network_message_id: string | null;
  direction: string;
  visibility: string;
  kind: string;
  author_identity_id: number | null;
  author_user_id: number | null;
  in_reply_to_network_id: string | null;
  thread_root_network_id: string | null;
  reply_to_message_id: number | null;
  /** Searchable text: the original, or a well-formed copy when the original is not storable as text. */
  text: string;
  /** JSON-escaped original when it holds NUL or lone surrogates (see src/store/text.ts). */
  text_escaped: string | null;
  url: string | null;
  created_at: number;
  received_at: number;
  raw: Json | null;
  /** inbound: received. outbound: pending_approval | queued | sending | sent | failed | rejected */
  status: string;
  error: string | null;
  /** Auto-acknowledgements and bot messages: never a response in SLA or reports. */
  is_auto: number;
  /** network | import | api | demo | agent */
  source: string;
  idempotency_key: string | null;
  triage: Json | null;
  triage_action: string | null;
  triage_category: string | null;
  sentiment: string | null;
  complaint: number | null;
  accolade: number | null;
  chaser: number | null;
  intent: string | null;
  language: string | null;
  priority: number | null;
  /** For inbound: when the first reply to it went out (message-level reply time). */
  first_reply_at: number | null;
  /** JSON: why the reply needs sign-off. */
  approval_reasons: Json | null;
  reviewed_by: number | null;
  reviewed_at: number | null;
  review_note: string | null;
  /** Set when the text and payload were cleared (src/store/redact.ts); the row stays for threading and reports. */
  redacted_at: number | null;
  /** deleted_by_author | deleted_by_brand | deleted | erasure | deleted_or_removed */
  redacted_reason: string | null;
  /** The message's own time when ingest replaced it with its receipt (src/core/messageTime.ts), else null. */
  original_sent_at?: number | null;
  /** Since when the network keeps the post but no longer shows it (src/pipeline/deletions.ts `applyNetworkVisibility`), else null. */
  network_hidden_at?: number | null;
  /** Why, one of NETWORK_HIDDEN_REASONS (src/channels/types.ts); null while shown. */
  network_hidden_reason?: string | null;
  /** When the deletion check last re-asked the network about this hidden post (ms; migration 20261206T2020_network_hidden_checked). */
  network_hidden_checked_at?: number | null;
}

/** A network id whose deletion arrived before the post: never stored afterwards. */
export interface MessageTombstoneTable {
  brand_id: number;
  network: string;
  network_message_id: string;
  reason: string;
  created_at: number;
}

export interface NoteTable {
  id: Id;
  brand_id: number;
  conversation_id: number;
  author_user_id: number;
  text: string;
  mentions: Json;
  created_at: number;
}

export interface AuditEventTable {
  id: Id;
  brand_id: number;
  actor_user_id: number | null;
  /** `user:<id>`, `token:<id>`, `system`, `system:<job>` */
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  conversation_id: number | null;
  data: Json;
  created_at: number;
}

export interface ReportingFactTable {
  id: Id;
  brand_id: number;
  /** first_response | next_response | message_response | message_answered | resolution | reopen | sla_met | sla_breached | approval_wait | expert_wait | accolade | inbound | handling */
  kind: string;
  occurred_at: number;
  conversation_id: number | null;
  message_id: number | null;
  agent_id: number | null;
  team_id: number | null;
  channel_account_id: number | null;
  network: string | null;
  visibility: string | null;
  priority: number | null;
  category: string | null;
  value_s: number | null;
  business_s: number | null;
  /** 0..167, Monday 00:00 = 0, in the brand's time zone. */
  hour_of_week: number;
  /** YYYY-MM-DD in the brand's time zone. */
  day: string;
  data: Json | null;
  /** For inbound, message_answered and message_response facts: did triage say this message needs a response (1/0; null = untriaged). */
  needs_response: number | null;
  sentiment: string | null;
}

export interface QuarantineTable {
  id: Id;
  brand_id: number | null;
  source: string;
  reason: string;
  line: number | null;
  raw: string;
  created_at: number;
  resolved_at: number | null;
}

export interface OutboxTable {
  id: Id;
  brand_id: number;
  message_id: number;
  channel_account_id: number;
  idempotency_key: string;
  /** queued | sending | sent | failed */
  status: string;
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  locked_by: string | null;
  last_error_code: string | null;
  last_error: string | null;
  network_message_id: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

export interface JobTable {
  id: Id;
  kind: string;
  /** Jobs with the same key are scheduled once. */
  key: string | null;
  payload: Json;
  run_at: number;
  attempts: number;
  max_attempts: number;
  locked_until: number | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: number;
}

export interface NotificationTable {
  id: Id;
  brand_id: number;
  user_id: number;
  kind: string;
  title: string;
  body: string;
  conversation_id: number | null;
  created_at: number;
  read_at: number | null;
}

export interface LiveEventTable {
  id: Id;
  brand_id: number;
  type: string;
  data: Json;
  created_at: number;
}

export interface CommunityGuidelineTable {
  id: Id;
  brand_id: number;
  /** Short stable code cited in actions, e.g. `spam`, `harassment`, `doxxing`. */
  code: string;
  title: string;
  description: string;
  /** JSON array of the actions this rule justifies: hide, delete, block, mute. */
  allowed_actions: Json;
  /** The report reason (NETWORK_REPORT_REASONS) a report to the network citing this rule is filed under; null: picked in the dialog (migration 20261207T1720). */
  report_reason: string | null;
  created_at: number;
  retired_at: number | null;
}

export interface ModerationActionTable {
  id: Id;
  brand_id: number;
  message_id: number | null;
  conversation_id: number | null;
  identity_id: number | null;
  /** hide | unhide | delete | block | mute */
  action: string;
  guideline_id: number;
  /** The agent's words on how the item breaks the rule. */
  evidence: string;
  actor_user_id: number;
  /** pending (the network was asked, no answer recorded yet) | done | failed (the network refused) | unknown (it did not say) | not_filed (a report that was unknown, confirmed not filed by the agent who reported again) */
  status: string;
  error: string | null;
  /** report_post / report_account: the id the network gave the report filed (migration 20261207T1720). */
  network_report_id: string | null;
  created_at: number;
}

export interface CrmConsentTable {
  id: Id;
  brand_id: number;
  contact_id: number;
  crm_customer_id: string;
  /** customer_message | verified_form | verbal */
  method: string;
  evidence_message_id: number | null;
  note: string | null;
  granted_at: number;
  withdrawn_at: number | null;
  recorded_by: number;
}

/** An agent asked the customer, in a conversation, for consent to a CRM link: the reply that asked. */
export interface CrmConsentAskTable {
  id: Id;
  brand_id: number;
  conversation_id: number;
  /** The conversation's customer when asked. */
  contact_id: number;
  message_id: number;
  asked_by: number;
  asked_at: number;
}

/** The brand's wording of the consent question (no row: the default). */
export interface CrmConsentSettingTable {
  brand_id: number;
  ask_text: string;
  updated_at: number;
  updated_by: number;
}

export interface ExpertRequestTable {
  id: Id;
  brand_id: number;
  conversation_id: number;
  asked_by: number;
  /** A named expert, or null when asked of an expert group (team_id). */
  expert_id: number | null;
  team_id: number | null;
  question: string;
  /** open | answered | cancelled */
  status: string;
  due_at: number | null;
  answered_by: number | null;
  answer_note_id: number | null;
  created_at: number;
  answered_at: number | null;
  /** When the overdue notice went out (once; null while not overdue or answered in time). */
  overdue_at: number | null;
}

/** An expert question's quote of a customer's message (src/commands/expertQuotes.ts): erasure finds the question by it. */
export interface ExpertQuoteTable {
  id: Id;
  brand_id: number;
  expert_request_id: number;
  /** The message quoted (an inbound message of the question's conversation). */
  message_id: number;
  /** Where the quote is: `question` (the question, its `expert.asked` entry and notices) or `answer` (the expert's answer note and its notice). */
  part: string;
  created_at: number;
}

/** An earlier text of an expert's answer, replaced by its expert's correction (migration 20261207T1700). */
export interface ExpertAnswerRevisionTable {
  id: Id;
  brand_id: number;
  expert_request_id: number;
  /** The answer's note (its text is the current answer). */
  note_id: number;
  /** The answer's text before this edit. */
  text: string;
  replaced_by: number | null;
  replaced_at: number;
}

/** A message's emoji search terms (migration 20261205T1330, src/core/emojiSearch.ts). */
export interface MessageEmojiTable {
  brand_id: number;
  term: string;
  message_id: number;
}

/** The response facts a removed reply had counted, kept for when the network shows it again (src/pipeline/deletions.ts). */
export interface WithdrawnAnswerTable {
  id: Id;
  brand_id: number;
  conversation_id: number;
  /** The brand's reply whose facts were withdrawn. */
  message_id: number;
  withdrawn_at: number;
  /** JSON: the withdrawn `reporting_fact` rows as they were (without their ids). */
  facts: string;
  /** JSON: the conversation's answer before the withdrawal, and the wait the removal began. */
  state: string;
  /** When it was restored or left withdrawn for good (null: still withdrawn). */
  settled_at: number | null;
  /** `restored` or `answered_since`. */
  outcome: string | null;
}

/**
 * A passage of a customer's message quoted in an internal note or an expert question, as its
 * length and keyed hash, never its text (src/commands/expertQuotes.ts, migration 20261207T0200):
 * an erasure finds the quote by it after the message was redacted.
 */
export interface QuotePassageTable {
  id: Id;
  brand_id: number;
  /** The message quoted. */
  message_id: number;
  /** `note` or `expert_request` (the question; its answer is a note). */
  subject_type: string;
  subject_id: number;
  /** The passage's length in UTF-16 code units, as compared (`quotePassages`: NFC, lower case, white space one space). */
  length: number;
  /** HMAC-SHA256 of the passage under the desk's quote key (kv `quote.key`), base64url. */
  hash: string;
  created_at: number;
}

export interface AutoAckTable {
  id: Id;
  conversation_id: number;
  /** The closed period acknowledged (its next opening instant): once per conversation per period. */
  period_key: string;
  message_id: number | null;
  created_at: number;
}

export interface PlaybookTable {
  id: Id;
  brand_id: number;
  title: string;
  /** JSON PlaybookMatch (categories, intents...). */
  match: Json;
  outline: string;
  snippets: Json;
  created_at: number;
  updated_at: number;
}

export interface SnippetTable {
  id: Id;
  brand_id: number;
  shortcut: string;
  title: string;
  body: string;
  created_at: number;
}

/** A saved reply's wording for one network and language (`any` for either); `any`/`any` is the default, equal to `snippet.body`. */
export interface SnippetVariantTable {
  id: Id;
  brand_id: number;
  snippet_id: number;
  /** A network, or `any`. */
  network: string;
  /** A BCP-47 primary language subtag (`es`), or `any`. */
  language: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface IncidentTable {
  id: Id;
  brand_id: number;
  title: string;
  /** open | closed */
  status: string;
  /** `detector` or `user:<id>` */
  opened_by: string;
  reason: string;
  opened_at: number;
  closed_at: number | null;
  statement_message_id: number | null;
  /** When the next update is due (ms), as said with a statement; null: none said. */
  next_update_at: number | null;
}

export interface TriageCorrectionTable {
  id: Id;
  brand_id: number;
  message_id: number;
  conversation_id: number;
  user_id: number | null;
  /** agent: set by hand; implicit: the message was answered (respond) or dismissed (ignore). */
  source: string;
  /** JSON { category?, action?, complaint?, sentiment?, intent? } */
  labels: Json;
  created_at: number;
}

export interface FactRollupTable {
  /** Hash of the dimensions (see src/store/rollup.ts). */
  k: string;
  brand_id: number;
  kind: string;
  /** Start of the UTC day the facts fall in (ms). */
  period_start: number;
  /** Arrivals only (else -1). */
  hour_of_week: number;
  day: string;
  channel_account_id: number;
  team_id: number;
  agent_id: number;
  network: string;
  visibility: string;
  category: string;
  sentiment: string;
  needs_response: number;
  clock: string;
  n: number;
  sum_s: number;
  sum_bs: number;
  hist: string;
  hist_b: string;
}

/** An agent had a conversation open (presence: viewing or typing) from started_at to last_seen_at. */
export interface ViewingSpanTable {
  id: Id;
  brand_id: number;
  conversation_id: number;
  user_id: number;
  started_at: number;
  /** The last heartbeat written (moved forward at most every 30 s, and on leaving). */
  last_seen_at: number;
}

/** A web chat visitor the server issued a token to (src/channels/webchat/visitors.ts). */
export interface WebchatVisitorTable {
  id: Id;
  brand_id: number;
  channel_account_id: number;
  /** `v` + 32 hex digits, random; the author id of the visitor's messages. */
  visitor_id: string;
  /** sha256 (hex) of the token: the token itself is only ever in the visitor's browser. */
  token_hash: string;
  created_at: number;
}

export interface KvTable {
  key: string;
  value: string;
  updated_at: number;
}

/** An outbound webhook URL of a brand (migration 20261206T1340_webhooks, docs/webhooks.md). */
export interface WebhookEndpointTable {
  id: Id;
  brand_id: number;
  url: string;
  description: string;
  /** JSON array of event types. */
  events: string;
  enabled: number;
  disabled_reason: string | null;
  /** The `whsec_` signing secret, sealed with the instance secret (SecretBox). */
  secret_sealed: string;
  failing_since: number | null;
  /** 1: also takes the events of imported history, flagged `"history": true` (migration 20261207T0140); 0: live events only. */
  include_history: Generated<number>;
  created_by: number | null;
  created_at: number;
  updated_at: number;
}

/** One event for one endpoint; `message_id` is the `webhook-id` header, the same on every attempt. */
export interface WebhookDeliveryTable {
  id: Id;
  brand_id: number;
  endpoint_id: number;
  event_key: string;
  message_id: string;
  event_type: string;
  payload: string;
  /** pending | delivering | delivered | failed */
  status: string;
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  locked_by: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** How far the webhook sweep has read one durable source. */
export interface WebhookCursorTable {
  source: string;
  last_id: number;
  /** JSON `[from, to, seenAt][]`: ranges of ids below `last_id` not seen yet (written later by a transaction still open, or never). */
  gaps: string;
  updated_at: number;
}

export interface DB {
  brand: BrandTable;
  team: TeamTable;
  retired_team: RetiredTeamTable;
  app_user: UserTable;
  team_member: TeamMemberTable;
  session: SessionTable;
  api_token: ApiTokenTable;
  password_reset: PasswordResetTable;
  sso_provider: SsoProviderTable;
  sso_identity: SsoIdentityTable;
  sso_login: SsoLoginTable;
  sso_logout_jti: SsoLogoutJtiTable;
  sso_saml_assertion: SsoSamlAssertionTable;
  sign_in_attempt: SignInAttemptTable;
  sign_in_known: SignInKnownTable;
  passkey: PasskeyTable;
  passkey_challenge: PasskeyChallengeTable;
  scim_token: ScimTokenTable;
  scim_user: ScimUserTable;
  channel_account: ChannelAccountTable;
  contact: ContactTable;
  contact_identity: ContactIdentityTable;
  contact_name_word: ContactNameWordTable;
  conversation: ConversationTable;
  conversation_label: ConversationLabelTable;
  message: MessageTable;
  message_tombstone: MessageTombstoneTable;
  note: NoteTable;
  audit_event: AuditEventTable;
  reporting_fact: ReportingFactTable;
  quarantine: QuarantineTable;
  outbox: OutboxTable;
  job: JobTable;
  notification: NotificationTable;
  kv: KvTable;
  live_event: LiveEventTable;
  community_guideline: CommunityGuidelineTable;
  moderation_action: ModerationActionTable;
  crm_consent: CrmConsentTable;
  crm_consent_ask: CrmConsentAskTable;
  crm_consent_setting: CrmConsentSettingTable;
  expert_request: ExpertRequestTable;
  expert_quote: ExpertQuoteTable;
  quote_passage: QuotePassageTable;
  withdrawn_answer: WithdrawnAnswerTable;
  expert_answer_revision: ExpertAnswerRevisionTable;
  message_emoji: MessageEmojiTable;
  auto_ack: AutoAckTable;
  playbook: PlaybookTable;
  snippet: SnippetTable;
  snippet_variant: SnippetVariantTable;
  incident: IncidentTable;
  triage_correction: TriageCorrectionTable;
  fact_rollup: FactRollupTable;
  viewing_span: ViewingSpanTable;
  webchat_visitor: WebchatVisitorTable;
  webhook_endpoint: WebhookEndpointTable;
  webhook_delivery: WebhookDeliveryTable;
  webhook_cursor: WebhookCursorTable;
}

export type Brand = Selectable<BrandTable>;
export type User = Selectable<UserTable>;
export type ChannelAccount = Selectable<ChannelAccountTable>;
export type Conversation = Selectable<ConversationTable>;
export type NewConversation = Insertable<ConversationTable>;
export type ConversationUpdate = Updateable<ConversationTable>;
export type MessageRow = Selectable<MessageTable>;
export type NewMessage = Insertable<MessageTable>;
export type ContactIdentity = Selectable<ContactIdentityTable>;
export type Note = Selectable<NoteTable>;
export type AuditEvent = Selectable<AuditEventTable>;
export type NewReportingFact = Insertable<ReportingFactTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type Incident = Selectable<IncidentTable>;

// Silence unused-import lint in some editors: ColumnType is re-exported for migrations' typing.
export type { ColumnType };
