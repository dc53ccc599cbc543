// Billing meters, meter events (identifier dedupe, timestamp window) and event summaries — the
// usage-based billing of this API version (legacy usage records no longer exist).
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { randomToken } from '../ids.js';
import { paginate } from '../list.js';
import { listFields, p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { mustGet } from './common.js';

const DAY = 86_400;

function activeMeterFor(emu: Emulator, eventName: string): Stripe.Billing.Meter | undefined {
  for (const m of emu.state.meters.values()) if (m.status === 'active' && m.event_name === eventName) return m;
  return undefined;
}

function aggregate(formula: string, values: { value: number; timestamp: number }[]): number {
  if (formula === 'count') return values.length;
  if (formula === 'last') return values.length ? values.reduce((a, b) => (b.timestamp >= a.timestamp ? b : a)).value : 0;
  return values.reduce((s, v) => s + v.value, 0);
}

export function registerMeters(router: Router): void {
  router.post('/v1/billing/meters', ({ emu, raw }) => {
    const body = parse<{
      display_name?: string;
      event_name?: string;
      default_aggregation?: { formula?: string };
      customer_mapping?: { event_payload_key?: string; type?: string };
      value_settings?: { event_payload_key?: string };
      event_time_window?: string;
    }>(
      {
        display_name: p.str,
        event_name: p.str,
        default_aggregation: p.obj({ formula: p.enum('count', 'last', 'sum') }),
        customer_mapping: p.obj({ event_payload_key: p.str, type: p.enum('by_id') }),
        value_settings: p.obj({ event_payload_key: p.str }),
        event_time_window: p.enum('day', 'hour'),
      },
      raw,
    );
    const eventName = required<string>(body, 'event_name');
    const displayName = required<string>(body, 'display_name');
    const formula = required<string>((body.default_aggregation ?? {}) as Record<string, unknown>, 'formula');
    if (activeMeterFor(emu, eventName))
      throw invalidRequest(`An active meter with event_name \`${eventName}\` already exists.`, { param: 'event_name' });
    const now = Math.floor(Date.now() / 1000);
    const meter = {
      id: `mtr_test_${randomToken(24)}`,
      object: 'billing.meter',
      created: now,
      customer_mapping: { event_payload_key: body.customer_mapping?.event_payload_key ?? 'stripe_customer_id', type: 'by_id' },
      default_aggregation: { formula },
      display_name: displayName,
      event_name: eventName,
      event_time_window: body.event_time_window ?? null,
      livemode: false,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: now,
      value_settings: { event_payload_key: body.value_settings?.event_payload_key ?? 'value' },
    } satisfies Stripe.Billing.Meter;
    emu.state.meters.set(meter);
    emu.emit('billing.meter.created', meter);
    return meter;
  });

  router.get('/v1/billing/meters/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.meters, params.id, 'id', 'billing meter');
  });

  router.post('/v1/billing/meters/:id', ({ emu, params, raw }) => {
    const body = parse<{ display_name?: string }>({ display_name: p.str }, raw);
    const meter = mustGet(emu.state.meters, params.id, 'id', 'billing meter');
    const before = snapshot(meter);
    if (body.display_name) meter.display_name = body.display_name;
    meter.updated = Math.floor(Date.now() / 1000);
    emu.emit('billing.meter.updated', meter, { previous: previousAttributes(before, meter) });
    return meter;
  });

  for (const action of ['deactivate', 'reactivate'] as const) {
    router.post(`/v1/billing/meters/:id/${action}`, ({ emu, params, raw }) => {
      parse({}, raw);
      const meter = mustGet(emu.state.meters, params.id, 'id', 'billing meter');
      const now = Math.floor(Date.now() / 1000);
      meter.status = action === 'deactivate' ? 'inactive' : 'active';
      meter.status_transitions = { deactivated_at: action === 'deactivate' ? now : null };
      meter.updated = now;
      emu.emit(action === 'deactivate' ? 'billing.meter.deactivated' : 'billing.meter.reactivated', meter);
      return meter;
    });
  }

  router.get('/v1/billing/meters', ({ emu, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string; status?: string }>(
      { ...listFields, status: p.enum('active', 'inactive') },
      raw,
    );
    return paginate(
      emu.state.meters.newestFirst((m) => !q.status || m.status === q.status),
      q,
      path,
    );
  });

  router.get('/v1/billing/meters/:id/event_summaries', ({ emu, params, raw, path }) => {
    const q = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      customer?: string;
      start_time?: number;
      end_time?: number;
      value_grouping_window?: string;
    }>(
      {
        ...listFields,
        customer: p.str,
        customer_account: p.str,
        start_time: p.int,
        end_time: p.int,
        value_grouping_window: p.enum('day', 'hour'),
      },
      raw,
    );
    const meter = mustGet(emu.state.meters, params.id, 'id', 'billing meter');
    const customer = required<string>(q, 'customer');
    const start = required<number>(q, 'start_time');
    const end = required<number>(q, 'end_time');
    const step = q.value_grouping_window === 'hour' ? 3600 : q.value_grouping_window === 'day' ? DAY : 60;
    if (start % step !== 0 || end % step !== 0) {
      throw invalidRequest(`start_time and end_time must be aligned to ${q.value_grouping_window ?? 'minute'} boundaries.`, {
        param: 'start_time',
      });
    }
    if (end <= start) throw invalidRequest('end_time must be after start_time.', { param: 'end_time' });
    const events = emu.state.meterEvents.filter((e) => e.event_name === meter.event_name && e.customer === customer);
    const windows: [number, number][] = q.value_grouping_window ? [] : [[start, end]];
    if (q.value_grouping_window) for (let t = start; t < end; t += step) windows.push([t, Math.min(end, t + step)]);
    // Newest window first, like every Stripe list.
    const summaries = windows.reverse().map(
      ([s, e]) =>
        ({
          id: `mtrusg_${meter.id.slice(-10)}${s}`,
          object: 'billing.meter_event_summary' as const,
          aggregated_value: aggregate(
            meter.default_aggregation.formula,
            events.filter((x) => x.timestamp >= s && x.timestamp < e),
          ),
          end_time: e,
          livemode: false,
          meter: meter.id,
          start_time: s,
        }) satisfies Stripe.Billing.MeterEventSummary,
    );
    return paginate(summaries, q, path);
  });

  router.post('/v1/billing/meter_events', ({ emu, raw }) => {
    const body = parse<{ event_name?: string; payload?: Record<string, string>; identifier?: string; timestamp?: number }>(
      { event_name: p.str, payload: p.meta, identifier: p.str, timestamp: p.int },
      raw,
    );
    const eventName = required<string>(body, 'event_name');
    const payload = Object.fromEntries(
      Object.entries(required<Record<string, string | null>>(body, 'payload')).filter(([, v]) => v !== null),
    ) as Record<string, string>;
    const meter = activeMeterFor(emu, eventName);
    const customerKey = meter?.customer_mapping.event_payload_key ?? 'stripe_customer_id';
    const valueKey = meter?.value_settings.event_payload_key ?? 'value';
    const customer = payload[customerKey];
    if (!customer)
      throw invalidRequest(`Missing required param: payload[${customerKey}].`, {
        param: `payload[${customerKey}]`,
        code: 'parameter_missing',
      });
    const rawValue = payload[valueKey] ?? '1';
    const value = Number(rawValue);
    if (!Number.isFinite(value))
      throw invalidRequest(`The value \`${rawValue}\` for payload[${valueKey}] is not a number.`, {
        param: `payload[${valueKey}]`,
      });
    // Time is the customer's time (its test clock, if any): that is the time usage is billed in.
    const now = emu.state.customers.has(customer) ? emu.now(customer) : Math.floor(Date.now() / 1000);
    const timestamp = body.timestamp ?? now;
    if (timestamp < now - 35 * DAY) throw invalidRequest('Timestamp must be within the past 35 days.', { param: 'timestamp' });
    if (timestamp > now + 5 * 60)
      throw invalidRequest('Timestamp must not be more than 5 minutes in the future.', { param: 'timestamp' });
    const identifier = body.identifier ?? randomToken(24);
    if (emu.state.meterEvents.some((e) => e.identifier === identifier && e.created > now - DAY)) {
      throw invalidRequest(`An event already exists with identifier ${identifier}.`, {
        param: 'identifier',
        code: 'resource_already_exists',
      });
    }
    emu.state.meterEvents.push({ identifier, event_name: eventName, customer, value, timestamp, created: now, payload });
    // Accepted, then found not to apply: Stripe reports it asynchronously as a v2 thin event.
    if (meter && !emu.state.customers.has(customer)) reportMeterError(emu, meter, identifier, customer);
    return {
      object: 'billing.meter_event',
      created: now,
      event_name: eventName,
      identifier,
      livemode: false,
      payload,
      timestamp,
    } satisfies Stripe.Billing.MeterEvent;
  });
}

/**
 * `v1.billing.meter.error_report_triggered` for one meter event naming a customer the account does
 * not have (Stripe batches a window of errors into one report; here each error is its own).
 */
function reportMeterError(emu: Emulator, meter: Stripe.Billing.Meter, identifier: string, customer: string): void {
  const at = new Date().toISOString();
  const message = `No customer found with the provided stripe_customer_id: ${customer}`;
  emu.emitThin(
    'v1.billing.meter.error_report_triggered',
    {
      developer_message_summary: `1 meter event for meter ${meter.id} could not be processed: meter_event_customer_not_found.`,
      reason: {
        error_count: 1,
        error_types: [
          {
            code: 'meter_event_customer_not_found',
            error_count: 1,
            sample_errors: [{ error_message: message, request: { identifier } }],
          },
        ],
      },
      validation_start: at,
      validation_end: at,
    },
    { id: meter.id, type: 'billing.meter', url: `/v1/billing/meters/${meter.id}` },
  );
}
