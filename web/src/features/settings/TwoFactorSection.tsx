// Two-factor authentication: turn it on (QR code or key, then a code from the app), keep the
// recovery codes (shown once), renew them, forget remembered devices, or turn it off (password and
// a code). The secret is shown only during enrolment; the server never sends it again.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useLocation } from 'react-router';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { formatDateTime } from '../../lib/format';
import { Banner, FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { TextField } from '../../components/TextField';
import { useCurrentUser } from '../auth/session';
import './two-factor.css';

/** The props every authenticator-code field shares: numeric keypad, one-time-code autofill. */
export const codeFieldProps = {
  type: 'text',
  inputMode: 'numeric',
  autoComplete: 'one-time-code',
  pattern: '[0-9 ]*',
  maxLength: 7,
} as const;

export function TwoFactorSection() {
  const status = trpc.twoFactor.status.useQuery();
  const [codes, setCodes] = useState<string[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const sectionRef = useRef<HTMLDivElement>(null);
  const { hash } = useLocation();
  // Settings → #two-factor (where ADMIN_REQUIRE_2FA sends admins) opens at this section.
  useEffect(() => {
    if (hash === '#two-factor') sectionRef.current?.scrollIntoView({ block: 'start' });
  }, [hash]);

  return (
    <div id="two-factor" ref={sectionRef}>
      <Card
        title="Two-factor authentication"
        description="After your password, sign-in also asks for a code from an authenticator app on your phone."
      >
        {notice && <Banner tone="success">{notice}</Banner>}
        {codes ? (
          <RecoveryCodes
            codes={codes}
            onDone={() => {
              setCodes(null);
              setNotice('Two-factor authentication is on.');
            }}
          />
        ) : (
          <QueryState query={status} loadingLabel="Loading two-factor settings…" skeletonLines={2}>
            {(data) =>
              data.enabled ? (
                <TwoFactorOn
                  status={data}
                  onCodes={(c) => {
                    setNotice(null);
                    setCodes(c);
                  }}
                  onNotice={setNotice}
                />
              ) : (
                <Enrol
                  onEnabled={(c) => {
                    setNotice(null);
                    setCodes(c);
                  }}
                />
              )
            }
          </QueryState>
        )}
      </Card>
    </div>
  );
}

function Enrol({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const user = useCurrentUser();
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const startRef = useRef<HTMLFormElement>(null);
  // The password shown at the start is sent again with the code: both steps need it.
  const [password, setPassword] = useState<string | undefined>(undefined);
  const start = trpc.twoFactor.start.useMutation();
  const confirm = trpc.twoFactor.confirm.useMutation({
    onSuccess: async (res) => {
      onEnabled(res.recoveryCodes);
      start.reset();
      setPassword(undefined);
      await Promise.all([utils.twoFactor.status.invalidate(), utils.auth.me.invalidate()]);
    },
  });
  const errors = useFormErrors(confirm, ['code']);
  useFocusFirstInvalid(formRef, confirm.error);
  const startErrors = useFormErrors(start, ['password']);
  useFocusFirstInvalid(startRef, start.error);

  if (!start.data) {
    function onStart(e: FormEvent<HTMLFormElement>) {
      e.preventDefault();
      const typed = user.hasPassword ? fieldValue(new FormData(e.currentTarget), 'password') : undefined;
      setPassword(typed);
      start.mutate(typed === undefined ? {} : { password: typed });
    }
    return (
      <form ref={startRef} className="form two-factor-off" onSubmit={onStart} noValidate>
        <p>
          Two-factor authentication is <strong>off</strong>.
        </p>
        <FormAlert message={startErrors.message} />
        {user.hasPassword && (
          <TextField
            label="Current password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            hint="Other devices signed in to your account are signed out once it is on."
            error={startErrors.fields.password}
          />
        )}
        <div className="form-actions">
          <Button type="submit" loading={start.isPending}>
            Turn on two-factor authentication
          </Button>
        </div>
      </form>
    );
  }

  const { secret, qrSvg } = start.data;
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const code = fieldValue(new FormData(e.currentTarget), 'code');
    confirm.mutate(password === undefined ? { code } : { code, password });
  }
  return (
    <div className="two-factor-enrol">
      <ol className="two-factor-steps">
        <li>
          <p>Scan this QR code with an authenticator app (1Password, Google Authenticator, Authy, …).</p>
          <img
            className="two-factor-qr"
            alt="QR code for your authenticator app"
            src={svgDataUrl(qrSvg)}
            width={192}
            height={192}
          />
          <p className="muted">Can't scan it? Enter this setup key in the app instead:</p>
          <p className="two-factor-secret">
            <code>{secret.match(/.{1,4}/g)?.join(' ') ?? secret}</code>
          </p>
        </li>
        <li>
          <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
            <FormAlert message={errors.message} />
            <TextField
              label="Code from the app"
              name="code"
              {...codeFieldProps}
              required
              autoFocus
              hint="Six digits; it changes every 30 seconds."
              error={errors.fields.code}
            />
            <div className="form-actions">
              <Button type="submit" loading={confirm.isPending}>
                Confirm and turn on
              </Button>
              <Button
                type="button"
                variant="ghost"
                onClick={() => {
                  start.reset();
                  setPassword(undefined);
                }}
              >
                Cancel
              </Button>
            </div>
          </form>
        </li>
      </ol>
    </div>
  );
}

function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const user = useCurrentUser();
  const [copied, setCopied] = useState(false);
  const text = `DropIn recovery codes for ${user.email}\nEach code works once.\n\n${codes.join('\n')}\n`;
  const copy = async () => {
    await navigator.clipboard.writeText(text).catch(() => {});
    setCopied(true);
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'dropin-recovery-codes.txt';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Banner tone="success" title="Save your recovery codes">
      <p>If you lose your phone, each of these codes signs you in once. Keep them somewhere safe: they are shown only now.</p>
      <ul className="two-factor-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="button-row">
        <Button size="sm" variant="secondary" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </Button>
        <Button size="sm" variant="secondary" onClick={download}>
          Download
        </Button>
        <Button size="sm" onClick={onDone}>
          I've saved them
        </Button>
      </div>
    </Banner>
  );
}

interface Status {
  enabledAt: string | null;
  recoveryCodesLeft: number;
  rememberedDevices: number;
}

function TwoFactorOn({
  status,
  onCodes,
  onNotice,
}: {
  status: Status;
  onCodes: (codes: string[]) => void;
  onNotice: (notice: string | null) => void;
}) {
  const utils = trpc.useUtils();
  const [open, setOpen] = useState<'regenerate' | 'disable' | null>(null);
  const forget = trpc.twoFactor.forgetDevices.useMutation({
    onSuccess: async (res) => {
      onNotice(
        res.forgotten > 0
          ? `Forgot ${res.forgotten} remembered ${res.forgotten === 1 ? 'device' : 'devices'}: they will ask for a code again.`
          : 'No remembered devices.',
      );
      await utils.twoFactor.status.invalidate();
    },
  });
  return (
    <div className="two-factor-on">
      <p>
        Two-factor authentication is <strong>on</strong>
        {status.enabledAt ? ` since ${formatDateTime(status.enabledAt)}` : ''}.
      </p>
      <ul className="two-factor-facts">
        <li>
          {status.recoveryCodesLeft} of 10 recovery codes left
          {status.recoveryCodesLeft <= 3 && ' — renew them soon'}
        </li>
        <li>
          {status.rememberedDevices === 0
            ? 'No remembered devices'
            : `${status.rememberedDevices} remembered ${status.rememberedDevices === 1 ? 'device' : 'devices'} (skip the code for 30 days)`}
        </li>
      </ul>
      {forget.error && <Banner tone="error">{forget.error.message}</Banner>}
      <div className="button-row">
        <Button variant="secondary" size="sm" onClick={() => setOpen(open === 'regenerate' ? null : 'regenerate')}>
          Regenerate recovery codes
        </Button>
        <Button
          variant="secondary"
          size="sm"
          onClick={() => forget.mutate()}
          loading={forget.isPending}
          disabled={status.rememberedDevices === 0}
        >
          Forget remembered devices
        </Button>
        <Button variant="danger" size="sm" onClick={() => setOpen(open === 'disable' ? null : 'disable')}>
          Turn off
        </Button>
      </div>
      {open === 'regenerate' && (
        <RegenerateForm
          onDone={(codes) => {
            setOpen(null);
            onCodes(codes);
          }}
          onCancel={() => setOpen(null)}
        />
      )}
      {open === 'disable' && (
        <DisableForm
          onDone={() => {
            setOpen(null);
            onNotice('Two-factor authentication is off.');
          }}
          onCancel={() => setOpen(null)}
        />
      )}
    </div>
  );
}

function RegenerateForm({ onDone, onCancel }: { onDone: (codes: string[]) => void; onCancel: () => void }) {
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const regenerate = trpc.twoFactor.regenerateRecoveryCodes.useMutation({
    onSuccess: async (res) => {
      onDone(res.recoveryCodes);
      await utils.twoFactor.status.invalidate();
    },
  });
  const errors = useFormErrors(regenerate, ['code']);
  useFocusFirstInvalid(formRef, regenerate.error);
  return (
    <form
      ref={formRef}
      className="form two-factor-subform"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        regenerate.mutate({ code: fieldValue(new FormData(e.currentTarget), 'code') });
      }}
    >
      <p>New codes replace all the old ones.</p>
      <FormAlert message={errors.message} />
      <TextField label="Code from the app" name="code" {...codeFieldProps} required autoFocus error={errors.fields.code} />
      <div className="form-actions">
        <Button type="submit" loading={regenerate.isPending}>
          Regenerate codes
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function DisableForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const user = useCurrentUser();
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const disable = trpc.twoFactor.disable.useMutation({
    onSuccess: async () => {
      onDone();
      await Promise.all([utils.twoFactor.status.invalidate(), utils.auth.me.invalidate()]);
    },
  });
  const errors = useFormErrors(disable, ['password', 'code']);
  useFocusFirstInvalid(formRef, disable.error);
  return (
    <form
      ref={formRef}
      className="form two-factor-subform"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        const code = fieldValue(data, 'code');
        disable.mutate({ ...(user.hasPassword ? { password: fieldValue(data, 'password') } : {}), code });
      }}
    >
      <p>Sign-in will ask only for your password again, and remembered devices are forgotten.</p>
      <FormAlert message={errors.message} />
      <div className="form-row">
        {user.hasPassword && (
          <TextField
            label="Current password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            error={errors.fields.password}
          />
        )}
        <TextField label="Code from the app" name="code" {...codeFieldProps} required error={errors.fields.code} />
      </div>
      <div className="form-actions">
        <Button type="submit" variant="danger" loading={disable.isPending}>
          Turn off two-factor
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
