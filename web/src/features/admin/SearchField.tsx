// The labelled search box with its submit button that heads the admin lists.
import { Button } from '../../components/Button';

export function SearchField(props: {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field admin-search">
      <label className="field-label" htmlFor={props.id}>
        {props.label}
      </label>
      <div className="admin-search-row">
        <input
          id={props.id}
          className="input"
          type="search"
          placeholder={props.placeholder}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
        <Button type="submit">Search</Button>
      </div>
    </div>
  );
}
