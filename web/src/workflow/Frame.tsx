/**
 * The frame of the desk's pages beyond the inbox (queues, approvals, experts,
 * incidents, settings): the same top bar, a side navigation, and the page.
 */
import { useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate } from '@tanstack/react-router';
import type { Me } from '../api/types.js';
import { useHotkeys } from '../lib/keyboard.js';
import { DeskNav } from '../shell/DeskNav.js';
import { Header } from '../shell/Header.js';
import { ShortcutsDialog } from '../shell/ShortcutsDialog.js';

export function Frame({ me, title, actions, children, className }: { me: Me; title: string; actions?: ReactNode; children: ReactNode; className?: string }) {
  const navigate = useNavigate();
  const searchRef = useRef<HTMLInputElement>(null);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const expert = me.user.role === 'expert';
  const openConversation = (id: number) => {
    if (expert) void navigate({ to: '/expert', search: { c: id } });
    else void navigate({ to: '/inbox/$view', params: { view: 'all' }, search: { c: id } });
  };
  useHotkeys({
    '?': () => setShortcutsOpen(true),
    '/': () => {
      searchRef.current?.focus();
    },
    'g i': () => (expert ? false : void navigate({ to: '/inbox/$view', params: { view: 'open' } })),
  });
  return (
    <div className={`app page-app${className ? ` ${className}` : ''}`}>
      <a href="#page-main" className="skip-link">
        Skip to content
      </a>
      <Header
        ref={searchRef}
        me={me}
        query=""
        hideSearch={expert}
        onQuery={(q) => q && void navigate({ to: '/inbox/$view', params: { view: 'all' }, search: { q } })}
        onOpenConversation={openConversation}
        onShowShortcuts={() => setShortcutsOpen(true)}
      />
      <div className="page-workspace">
        <nav className="sidebar" aria-label="Desk">
          {!expert && (
            <>
              <h2 className="sidebar-title">Inbox</h2>
              <ul className="view-list">
                <li>
                  <Link to="/inbox/$view" params={{ view: 'open' }} className="view-link">
                    Open conversations
                  </Link>
                </li>
                <li>
                  <Link to="/inbox/$view" params={{ view: 'mine' }} className="view-link">
                    Mine
                  </Link>
                </li>
              </ul>
            </>
          )}
          <DeskNav me={me} />
        </nav>
        <main id="page-main" className="page-main" tabIndex={-1} aria-labelledby="page-title">
          <div className="page-head">
            <h1 id="page-title">{title}</h1>
            {actions && <div className="page-actions">{actions}</div>}
          </div>
          {children}
        </main>
      </div>
      <ShortcutsDialog open={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
    </div>
  );
}
