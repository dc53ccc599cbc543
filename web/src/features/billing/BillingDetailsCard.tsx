// Billing details: the name, address and tax ID printed on invoices from the next one on. Stored on
// the Stripe customer (billing.details / billing.updateDetails); a tax ID in the wrong format is
// refused by Stripe and shown next to its field.
import { type FormEvent, useMemo, useState } from 'react';
import { Banner, FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { Field, TextField } from '../../components/TextField';
import { formErrors } from '../../lib/errors';
import { trpc } from '../../lib/trpc';
import { type BillingDetailsData, type BillingDetailsInput, useActionIds } from './billing-lib';

const COUNTRY_CODES =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'.split(
    ' ',
  );

const FIELDS = ['name', 'line1', 'line2', 'city', 'state', 'postalCode', 'country', 'taxIdType', 'taxIdValue'] as const;
type Values = Record<(typeof FIELDS)[number], string>;

function useCountries() {
  return useMemo(() => {
    const names = new Intl.DisplayNames(undefined, { type: 'region' });
    return COUNTRY_CODES.map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) => a.name.localeCompare(b.name));
  }, []);
}

export function BillingDetailsCard() {
  const details = trpc.billing.details.useQuery();
  return (
    <Card title="Billing details" description="The name, address and tax ID printed on your invoices from the next one on.">
      <QueryState query={details} loadingLabel="Loading your billing details…" skeletonLines={4}>
        {(d) =>
          d.details ? (
            <DetailsForm initial={d.details} taxIdTypes={d.taxIdTypes} />
          ) : (
            <p className="muted">You can add a company name, address and tax ID once you have chosen a plan.</p>
          )
        }
      </QueryState>
    </Card>
  );
}

type Loaded = BillingDetailsData;

function DetailsForm({ initial, taxIdTypes }: { initial: NonNullable<Loaded['details']>; taxIdTypes: Loaded['taxIdTypes'] }) {
  const utils = trpc.useUtils();
  const countries = useCountries();
  const actions = useActionIds();
  const [saved, setSaved] = useState(false);
  const [values, setValues] = useState<Values>(() => ({
    name: initial.name ?? '',
    line1: initial.address?.line1 ?? '',
    line2: initial.address?.line2 ?? '',
    city: initial.address?.city ?? '',
    state: initial.address?.state ?? '',
    postalCode: initial.address?.postalCode ?? '',
    country: initial.address?.country ?? '',
    taxIdType: initial.taxId?.type ?? '',
    taxIdValue: initial.taxId?.value ?? '',
  }));
  const save = trpc.billing.updateDetails.useMutation({
    onSettled: (_d, error) => actions.settle('details', error),
    onSuccess: (data) => {
      utils.billing.details.setData(undefined, (old) => (old ? { ...old, details: data.details } : old));
      setSaved(true);
    },
  });
  const errors = formErrors(save.error, FIELDS);
  const set = (field: keyof Values) => (e: { target: { value: string } }) => {
    setSaved(false);
    setValues((v) => ({ ...v, [field]: e.target.value }));
  };
  /** A text field's name, value, change handler and error, bound to one of the form's values. */
  const bind = (field: keyof Values) => ({
    name: field,
    value: values[field],
    onChange: set(field),
    error: errors.fields[field],
  });
  const taxType = taxIdTypes.find((t) => t.type === values.taxIdType);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({
      ...values,
      taxIdType: values.taxIdType as BillingDetailsInput['taxIdType'],
      taxIdValue: values.taxIdType ? values.taxIdValue : '',
      actionId: actions.idFor('details'),
    });
  };
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Billing details">
      {saved && <Banner tone="success">Saved. Your next invoices will show these details.</Banner>}
      <FormAlert message={errors.message} />
      <TextField
        label="Name on invoices"
        {...bind('name')}
        autoComplete="organization"
        hint="Your company's name, or your own."
        required
      />
      <fieldset className="fieldset">
        <legend className="field-label">Billing address</legend>
        <div className="form">
          <TextField label="Street address" {...bind('line1')} autoComplete="address-line1" />
          <TextField label="Apartment, suite, floor" {...bind('line2')} autoComplete="address-line2" optional />
          <div className="form-row">
            <TextField label="City" {...bind('city')} autoComplete="address-level2" />
            <TextField label="Postal code" {...bind('postalCode')} autoComplete="postal-code" />
          </div>
          <div className="form-row">
            <TextField label="State, county or region" {...bind('state')} autoComplete="address-level1" optional />
            <Field label="Country" error={errors.fields.country}>
              {(control) => (
                <select
                  {...control}
                  name="country"
                  className="input select"
                  autoComplete="country"
                  value={values.country}
                  onChange={set('country')}
                >
                  <option value="">Choose a country</option>
                  {countries.map((c) => (
                    <option key={c.code} value={c.code}>
                      {c.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        </div>
      </fieldset>
      <div className="form-row">
        <Field label="Tax ID type" optional error={errors.fields.taxIdType}>
          {(control) => (
            <select {...control} name="taxIdType" className="input select" value={values.taxIdType} onChange={set('taxIdType')}>
              <option value="">No tax ID</option>
              {taxIdTypes.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <TextField
          label="Tax ID"
          {...bind('taxIdValue')}
          optional
          disabled={!values.taxIdType}
          hint={taxType ? `For example ${taxType.example}` : 'Choose its type first.'}
          spellCheck={false}
        />
      </div>
      {initial.taxId?.verification === 'pending' && values.taxIdValue === initial.taxId.value && (
        <p className="muted small-print">Stripe is checking this VAT number with the tax authority.</p>
      )}
      <div className="form-actions">
        <Button type="submit" loading={save.isPending}>
          Save billing details
        </Button>
      </div>
    </form>
  );
}
