// A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert (so
// focus stays inside), Escape closes it, and focus returns to whatever opened it.
//
// The `close` event comes a task after the element closes, including after the closes this
// component makes itself: when `open` turns false, and on mount under React's StrictMode
// (development), which runs the effect, its cleanup and the effect again, so the dialog is open
// again by the time that event arrives. So Escape is taken at its `cancel` event, which comes at
// once: the dialog stays open until the owner's state closes it, and a key pressed right after
// Escape already meets the page as the new state draws it. When the browser will not let a cancel
// be refused (a second Escape without a click in between), the dialog closes on its own and the
// `close` handler tells the owner, if `open` still says open.
import { type ReactNode, useEffect, useId, useRef } from 'react';
import { CloseIcon } from './icons';

export interface DialogProps {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  /** Room for wide content (a JSON payload): up to 760 px instead of 480 px. */
  wide?: boolean;
  children: ReactNode;
}

export function Dialog({ open, onClose, title, description, wide, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const pressedBackdrop = useRef(false);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      return () => {
        if (dialog.open) dialog.close();
        opener?.focus();
      };
    }
    return undefined;
  }, [open]);

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the backdrop click is a mouse shortcut; keyboards close with Escape (native)
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onCancel={(e) => {
        if (!e.cancelable) return;
        e.preventDefault();
        onClose();
      }}
      onClose={(e) => {
        const dialog = e.currentTarget;
        if (open && !dialog.open && dialog.isConnected) onClose();
      }}
      // A press that starts and ends on the dialog element itself (not its content) is on the backdrop.
      onMouseDown={(e) => {
        pressedBackdrop.current = e.target === e.currentTarget;
      }}
      onClick={(e) => {
        if (pressedBackdrop.current && e.target === e.currentTarget) onClose();
        pressedBackdrop.current = false;
      }}
    >
      {open && (
        <div className="dialog-panel">
          <header className="dialog-header">
            <h2 id={titleId} className="dialog-title">
              {title}
            </h2>
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close dialog">
              <CloseIcon />
            </button>
          </header>
          {description && (
            <div id={descId} className="dialog-description">
              {description}
            </div>
          )}
          {children}
        </div>
      )}
    </dialog>
  );
}
