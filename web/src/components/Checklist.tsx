import { CheckIcon } from './icons';

/** A list of what a plan includes, each line ticked (the `.checklist` style). */
export function Checklist({ items, label }: { items: readonly string[]; label?: string }) {
  return (
    <ul className="checklist" aria-label={label}>
      {items.map((item) => (
        <li key={item}>
          <CheckIcon size={18} />
          {item}
        </li>
      ))}
    </ul>
  );
}
