// The public front page in the app: the look is HomeView's; the page knows whether someone is
// signed in and shows the notice another page sent them here with (?notice=…).
import { useSearchParams } from 'react-router';
import { noticeFor } from '../../lib/notices';
import { useMe } from '../auth/session';
import { HomeView } from './HomeView';

export function HomePage() {
  const me = useMe();
  const [params] = useSearchParams();
  return (
    <>
      <title>DropIn · Premium content and developer tools</title>
      <HomeView loggedIn={Boolean(me.data?.user)} notice={noticeFor(params.get('notice'))} />
    </>
  );
}
