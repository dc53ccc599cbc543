// A labelled form control with an optional hint and its error right below it. The error and hint are
// tied to the control with aria-describedby, and aria-invalid marks the field for assistive
// technology. TextField is the common case, an <input>; Field takes any control (a textarea, a
// select) as a render function given the id and aria attributes to spread on it.
import { type ComponentProps, type ReactNode, useId } from 'react';
import { cx } from './cx';
import { AlertIcon } from './icons';

export interface FieldProps {
  label: string;
  error?: string | null | undefined;
  hint?: ReactNode;
  optional?: boolean;
  className?: string | undefined;
  children: (control: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode;
}

export function Field({ label, error, hint, optional, className, children }: FieldProps) {
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
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {error && <FieldError id={errorId} message={error} />}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

export function FieldError({ id, message }: { id?: string; message: string }) {
  return (
    <p id={id} className="field-error">
      <AlertIcon />
      <span>{message}</span>
    </p>
  );
}

export interface TextFieldProps extends Omit<ComponentProps<'input'>, 'id'> {
  label: string;
  name: string;
  error?: string | null | undefined;
  hint?: ReactNode;
  optional?: boolean;
}

export function TextField({ label, error, hint, optional, className, ...input }: TextFieldProps) {
  return (
    <Field label={label} error={error} hint={hint} optional={optional} className={className}>
      {(control) => <input className="input" {...control} {...input} />}
    </Field>
  );
}
