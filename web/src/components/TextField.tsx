// A labelled input with an optional hint and its error right below it. The error and hint are tied
// to the input with aria-describedby, and aria-invalid marks the field for assistive technology.
import { type ComponentProps, type ReactNode, useId } from 'react';
import { cx } from './cx';
import { AlertIcon } from './icons';

export interface TextFieldProps extends Omit<ComponentProps<'input'>, 'id'> {
  label: string;
  name: string;
  error?: string | null | undefined;
  hint?: ReactNode;
  optional?: boolean;
}

export function TextField({ label, error, hint, optional, className, ...input }: TextFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={cx('field', error && 'field-invalid', className)}>
      <label className="field-label" htmlFor={id}>
        {label}
        {optional && <span className="field-optional"> (optional)</span>}
      </label>
      <input id={id} className="input" aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {error && (
        <p id={errorId} className="field-error">
          <AlertIcon />
          <span>{error}</span>
        </p>
      )}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
