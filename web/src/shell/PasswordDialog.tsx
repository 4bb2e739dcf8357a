/**
 * Changing your own password, for everyone (from the header's account menu): the current
 * password proves it is you, the new one follows the server's rule (at least 8 characters
 * other than spaces) and is typed twice. This browser stays signed in; every other session
 * of yours is signed out, and the confirmation says so. The server's refusals (a wrong
 * current password, too many tries) are shown as they are. Someone without a password (made by
 * the desk's single sign-on provider) is asked none: they set one, confirmed by a sign-in with the
 * provider in the last 10 minutes (the server's `auth.reauthenticate` otherwise, shown as it is).
 */
import { useEffect, useId, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { keys, useMe } from '../api/queries.js';
import { changeMyPassword } from '../api/workflow.js';
import { Modal } from '../ui/Modal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { MIN_PASSWORD_CHARS, passwordProblem } from '../lib/password.js';
import { DialogButtons } from '../ui/DialogButtons.js';


export function PasswordDialog({ open, onClose, email }: { open: boolean; onClose: () => void; email: string }) {
  const toast = useToast();
  const qc = useQueryClient();
  // without one (made by single sign-on), none is asked: a recent sign-in with the provider confirms
  const hasPassword = useMe().data?.user.hasPassword !== false;
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problem, setProblem] = useState<{ field: 'next' | 'confirm'; text: string } | null>(null);
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const ruleId = useId();
  const problemId = useId();
  const change = useMutation({ mutationFn: (v: { current: string; next: string }) => changeMyPassword(v.current, v.next) });

  // nothing typed survives closing the dialog
  useEffect(() => {
    if (open) return;
    setCurrent('');
    setNext('');
    setConfirm('');
    setProblem(null);
    setRefusal(null);
  }, [open]);

  const submit = () => {
    setRefusal(null);
    const rule = passwordProblem(next);
    if (rule) return setProblem({ field: 'next', text: rule });
    if (next !== confirm) return setProblem({ field: 'confirm', text: 'The two new passwords differ: type the same one twice.' });
    setProblem(null);
    change.mutate(
      { current, next },
      {
        onSuccess: () => {
          // a first password: the desk now asks it where it asks one
          if (!hasPassword) void qc.invalidateQueries({ queryKey: keys.me });
          toast(hasPassword ? 'Your password was changed. Your other sessions were signed out; this one stays signed in.' : 'Your password was set. Your other sessions were signed out; this one stays signed in.');
          onClose();
        },
        onError: (err) => setRefusal(refusalOf(err)),
      },
    );
  };

  return (
    <Modal
      open={open}
      onClose={onClose}
      title={hasPassword ? 'Change your password' : 'Set a password'}
      description={hasPassword ? 'Your other signed-in browsers and devices are signed out when you change it.' : 'You sign in with your organisation’s account and have no Parley password yet: a sign-in with it in the last 10 minutes confirms this one.'}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {/* for password managers: whose password this is */}
        <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
        {hasPassword && (
          <label className="field">
            <span>Current password</span>
            <input type="password" value={current} onChange={(e) => setCurrent(e.target.value)} required maxLength={1024} autoComplete="current-password" data-autofocus />
          </label>
        )}
        <label className="field">
          <span>New password</span>
          <input
            {...(hasPassword ? {} : { 'data-autofocus': true })}
            type="password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            required
            maxLength={1024}
            autoComplete="new-password"
            aria-describedby={problem?.field === 'next' ? `${ruleId} ${problemId}` : ruleId}
            aria-invalid={problem?.field === 'next' ? true : undefined}
          />
        </label>
        <p id={ruleId} className="muted small">
          At least {MIN_PASSWORD_CHARS} characters other than spaces. A few unrelated words make a strong one.
        </p>
        <label className="field">
          <span>Confirm the new password</span>
          <input
            type="password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            required
            maxLength={1024}
            autoComplete="new-password"
            aria-describedby={problem?.field === 'confirm' ? problemId : undefined}
            aria-invalid={problem?.field === 'confirm' ? true : undefined}
          />
        </label>
        {problem && (
          <p id={problemId} className="form-error" role="alert">
            {problem.text}
          </p>
        )}
        <Refusal refusal={refusal} lead="Not changed." />
        <DialogButtons disabled={change.isPending} onCancel={onClose}>
          {change.isPending ? 'Changing…' : 'Change password'}
        </DialogButtons>
      </form>
    </Modal>
  );
}
