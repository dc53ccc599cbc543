// The mirror read alongside a Stripe listing: one cursor over the mirror sorted newest first, as
// Stripe lists, advanced page by page (a merge join on `created`). Memory holds one page's worth
// of rows plus the ids of rows the listing passed without returning (drift candidates).
// Why not one `$in` read per page: an `$in` may scan the whole collection (src/db/reads.ts; 1.3 s
// per page at 10,000 rows on the dev machine), which would make a run quadratic. The cursor reads
// each row once, whether or not the database uses the `created` index.
import type { Collection, Filter } from 'mongodb';
import type Stripe from 'stripe';
import type { SubscriptionDoc } from '../../db/collections';

export class MirrorStream {
  private readonly it: AsyncIterator<SubscriptionDoc>;
  private lookahead: SubscriptionDoc | null | undefined;
  private readonly buffer = new Map<string, SubscriptionDoc>();
  /** Rows the listing went past without returning them: gone from Stripe, or on a test clock. */
  private readonly passed: string[] = [];

  constructor(coll: Collection<SubscriptionDoc>, filter: Filter<SubscriptionDoc>) {
    this.it = coll.find(filter).sort({ created: -1, _id: 1 }).batchSize(500)[Symbol.asyncIterator]();
  }

  /** The mirror rows of a page of subscriptions listed newest first (absent ones are not in the map). */
  async rowsFor(subs: Stripe.Subscription[]): Promise<Map<string, SubscriptionDoc>> {
    const oldest = Math.min(...subs.map((s) => s.created)) * 1000;
    for (;;) {
      if (this.lookahead === undefined) {
        const r = await this.it.next();
        this.lookahead = r.done ? null : r.value;
      }
      if (!this.lookahead || this.lookahead.created.getTime() < oldest) break;
      this.buffer.set(this.lookahead._id, this.lookahead);
      this.lookahead = undefined;
    }
    const out = new Map<string, SubscriptionDoc>();
    for (const s of subs) {
      const row = this.buffer.get(s.id);
      if (!row) continue;
      out.set(s.id, row);
      this.buffer.delete(s.id);
    }
    // Later pages only hold subscriptions created at or before `oldest`.
    for (const [id, row] of this.buffer) {
      if (row.created.getTime() > oldest) {
        this.passed.push(id);
        this.buffer.delete(id);
      }
    }
    return out;
  }

  /** After the last page: every row the listing did not return. */
  async rest(): Promise<string[]> {
    this.passed.push(...this.buffer.keys());
    this.buffer.clear();
    if (this.lookahead) this.passed.push(this.lookahead._id);
    if (this.lookahead !== null) {
      for (;;) {
        const r = await this.it.next();
        if (r.done) break;
        this.passed.push(r.value._id);
      }
    }
    this.lookahead = null;
    return this.passed;
  }
}
