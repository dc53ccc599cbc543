// Account settings: one labelled section per topic, each with its own form and messages.
import { useSearchParams } from 'react-router';
import { noticeFor, oauthErrorFor } from '../../lib/notices';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { ProfileSection } from './ProfileSection';
import { EmailSection } from './EmailSection';
import { PasswordSection } from './PasswordSection';
import { TwoFactorSection } from './TwoFactorSection';
import { SessionsSection } from './SessionsSection';
import { ConnectedAccountsSection, providerLabel } from './ConnectedAccountsSection';
import { DangerZoneSection } from './DangerZoneSection';
import { ApiKeysSection } from './ApiKeysSection';

export function SettingsPage() {
  const [params] = useSearchParams();
  const oauthError = oauthErrorFor(params.get('error'));
  const notice = noticeFor(params.get('notice'));
  const linked = params.get('linked');
  const linkedLabel = linked === 'github' || linked === 'google' ? providerLabel[linked] : null;

  return (
    <div className="page page-settings">
      <PageHeader title="Settings" description="Your profile, how you sign in, and where you're signed in." />
      {oauthError && <Banner tone="error">{oauthError}</Banner>}
      {notice && <Banner tone="info">{notice}</Banner>}
      {linkedLabel && <Banner tone="success">{linkedLabel} is now connected to your account.</Banner>}
      <div className="settings-stack">
        <ProfileSection />
        <EmailSection />
        <PasswordSection />
        <TwoFactorSection />
        <SessionsSection />
        <ConnectedAccountsSection />
        <ApiKeysSection />
        <DangerZoneSection />
      </div>
    </div>
  );
}
