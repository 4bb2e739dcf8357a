/**
 * Settings: channels, people, teams, workflow, guidelines, playbooks, snippets,
 * quarantine, API tokens, single sign-on and the audit log, one section per URL (`/admin/<section>`). Admins change
 * things; approvers (team leads) see them read-only, and maintain playbooks and snippets.
 */
import { Link, useParams } from '@tanstack/react-router';
import { useMe } from '../api/queries.js';
import { Frame } from '../workflow/Frame.js';
import { AuditLogAdmin } from './AuditLog.js';
import { ChannelsAdmin } from './Channels.js';
import { GuidelinesAdmin, PlaybooksAdmin, QuarantineAdmin, SnippetsAdmin } from './Content.js';
import { PeopleAdmin, TeamsAdmin } from './People.js';
import { SingleSignOnAdmin } from './SingleSignOn.js';
import { TokensAdmin } from './Tokens.js';
import { IntegrationsAdmin } from './Integrations.js';
import { WorkflowAdmin } from './WorkflowSettings.js';
import { ADMIN_SECTIONS, isAdminSection, type AdminSection } from './sections.js';


/** Sections only admins see (approvers see the others read-only). */
const ADMINS_ONLY = new Set<AdminSection>(['quarantine', 'tokens', 'integrations', 'sso']);

const LABEL: Record<AdminSection, string> = {
  channels: 'Channels',
  people: 'People',
  teams: 'Teams',
  workflow: 'Workflow',
  guidelines: 'Guidelines',
  playbooks: 'Playbooks',
  snippets: 'Snippets',
  quarantine: 'Quarantine',
  tokens: 'API tokens',
  integrations: 'Integrations',
  sso: 'Single sign-on',
  audit: 'Audit log',
};

export function AdminPage() {
  const me = useMe().data;
  const { section } = useParams({ from: '/admin/$section' });
  if (!me) return null;
  const s = isAdminSection(section) ? section : 'channels';
  const role = me.user.role;
  const admin = role === 'admin';
  const lead = admin || role === 'approver';
  return (
    <Frame me={me} title={`Settings · ${LABEL[s]}`} className="admin-app">
      <nav className="tabs" aria-label="Settings sections">
        {ADMIN_SECTIONS.filter((x) => !ADMINS_ONLY.has(x) || admin).map((x) => (
          <Link key={x} to="/admin/$section" params={{ section: x }} className={`tab${x === s ? ' active' : ''}`} aria-current={x === s ? 'page' : undefined}>
            {LABEL[x]}
          </Link>
        ))}
      </nav>
      {!lead ? (
        <p className="muted">Settings are for admins and team leads.</p>
      ) : (
        <div className="page-sections">
          {s === 'channels' && <ChannelsAdmin admin={admin} />}
          {s === 'people' && <PeopleAdmin admin={admin} />}
          {s === 'teams' && <TeamsAdmin admin={admin} />}
          {s === 'workflow' && <WorkflowAdmin admin={admin} />}
          {s === 'guidelines' && <GuidelinesAdmin admin={admin} />}
          {s === 'playbooks' && <PlaybooksAdmin canWrite={lead} />}
          {s === 'snippets' && <SnippetsAdmin canWrite={lead} />}
          {s === 'quarantine' && <QuarantineAdmin admin={admin} />}
          {s === 'tokens' && <TokensAdmin admin={admin} />}
          {s === 'integrations' && <IntegrationsAdmin admin={admin} />}
          {s === 'sso' && <SingleSignOnAdmin admin={admin} />}
          {s === 'audit' && <AuditLogAdmin />}
        </div>
      )}
    </Frame>
  );
}
