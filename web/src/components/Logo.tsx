import { Link } from 'react-router';
import { LogoMark } from './icons';

export function Logo({ to = '/' }: { to?: string }) {
  return (
    <Link to={to} className="logo" aria-label="DropIn home">
      <LogoMark />
      <span className="logo-word" aria-hidden="true">
        DropIn
      </span>
    </Link>
  );
}
