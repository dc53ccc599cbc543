import { type FormEvent, useRef, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { TextField } from '../../components/TextField';
import { useCurrentUser } from '../auth/session';

export function ProfileSection() {
  const user = useCurrentUser();
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const [saved, setSaved] = useState(false);
  const update = trpc.account.updateProfile.useMutation({
    onSuccess: async () => {
      await utils.auth.me.invalidate();
      setSaved(true);
    },
  });
  const errors = useFormErrors(update, ['name']);
  useFocusFirstInvalid(formRef, update.error);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSaved(false);
    update.mutate({ name: fieldValue(new FormData(e.currentTarget), 'name').trim() });
  }

  return (
    <Card title="Profile" description="How DropIn addresses you.">
      <form ref={formRef} className="form" onSubmit={onSubmit} onInput={() => setSaved(false)} noValidate>
        <FormAlert message={errors.message} />
        <TextField
          label="Display name"
          name="name"
          autoComplete="name"
          defaultValue={user.name ?? ''}
          maxLength={100}
          error={errors.fields.name}
        />
        <div className="form-actions">
          <Button type="submit" loading={update.isPending}>
            Save
          </Button>
          <span className="inline-status" role="status">
            {saved ? 'Saved.' : ''}
          </span>
        </div>
      </form>
    </Card>
  );
}
