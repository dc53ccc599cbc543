// List objects and search results exactly as Stripe pages them.
import { invalidRequest, noSuch } from './errors.js';

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export interface PageParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
}

/** `items` must already be in list order (newest first). */
export function paginate<T extends { id: string }>(items: T[], params: PageParams, url: string): ListObject<T> {
  const limit = params.limit ?? 10;
  if (params.starting_after && params.ending_before) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', {
      param: 'ending_before',
    });
  }
  if (params.starting_after) {
    const i = items.findIndex((x) => x.id === params.starting_after);
    if (i < 0) throw noSuch(params.starting_after, 'starting_after');
    const rest = items.slice(i + 1);
    return { object: 'list', data: rest.slice(0, limit), has_more: rest.length > limit, url };
  }
  if (params.ending_before) {
    const i = items.findIndex((x) => x.id === params.ending_before);
    if (i < 0) throw noSuch(params.ending_before, 'ending_before');
    const before = items.slice(0, i);
    const start = Math.max(0, before.length - limit);
    return { object: 'list', data: before.slice(start), has_more: start > 0, url };
  }
  return { object: 'list', data: items.slice(0, limit), has_more: items.length > limit, url };
}

/** A page straight from a collection, without materialising the whole filtered list. */
export function pageOf<T extends { id: string }>(
  col: {
    page(
      filter: (obj: T) => boolean,
      opts: { limit: number; startingAfter?: string; endingBefore?: string },
    ): { data: T[]; hasMore: boolean } | null;
  },
  filter: (obj: T) => boolean,
  params: PageParams,
  url: string,
): ListObject<T> {
  if (params.starting_after && params.ending_before) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', {
      param: 'ending_before',
    });
  }
  const result = col.page(filter, {
    limit: params.limit ?? 10,
    startingAfter: params.starting_after,
    endingBefore: params.ending_before,
  });
  if (!result) {
    const cursor = (params.starting_after ?? params.ending_before)!;
    throw noSuch(cursor, params.starting_after ? 'starting_after' : 'ending_before');
  }
  return { object: 'list', data: result.data, has_more: result.hasMore, url };
}

/** A list that always holds everything (embedded lists like `subscription.items`). */
export function fullList<T>(data: T[], url: string): ListObject<T> {
  return { object: 'list', data, has_more: false, url };
}

export function inRange(value: number, range: unknown): boolean {
  if (range === undefined || range === null) return true;
  if (typeof range === 'number') return value === range;
  const r = range as { gt?: number; gte?: number; lt?: number; lte?: number };
  if (r.gt !== undefined && !(value > r.gt)) return false;
  if (r.gte !== undefined && !(value >= r.gte)) return false;
  if (r.lt !== undefined && !(value < r.lt)) return false;
  if (r.lte !== undefined && !(value <= r.lte)) return false;
  return true;
}

// ---- Search Query Language (the subset DropIn uses) -------------------------------------------

interface Clause {
  field: string;
  metadataKey?: string;
  op: ':' | '~' | '>' | '<' | '>=' | '<=';
  value: string;
  negate: boolean;
}

const CLAUSE =
  /^\s*(-?)([a-z_]+)(?:\[['"]([^'"]+)['"]\])?\s*(:|~|>=|<=|>|<)\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s]+))\s*/i;

export function parseQuery(query: string): { clauses: Clause[]; joiner: 'AND' | 'OR' } {
  const clauses: Clause[] = [];
  let rest = query.trim();
  let joiner: 'AND' | 'OR' | null = null;
  while (rest.length > 0) {
    const m = CLAUSE.exec(rest);
    if (!m) throw invalidRequest(`Invalid query: could not parse "${rest}".`, { param: 'query' });
    clauses.push({
      negate: m[1] === '-',
      field: m[2]!,
      metadataKey: m[3],
      op: m[4] as Clause['op'],
      value: (m[5] ?? m[6] ?? m[7] ?? '').replace(/\\(.)/g, '$1'),
    });
    rest = rest.slice(m[0].length);
    const j = /^(AND|OR)\s+/i.exec(rest);
    if (j) {
      const word = j[1]!.toUpperCase() as 'AND' | 'OR';
      if (joiner && joiner !== word) throw invalidRequest('Queries cannot mix AND and OR.', { param: 'query' });
      joiner = word;
      rest = rest.slice(j[0].length);
    } else if (rest.length > 0) {
      throw invalidRequest(`Invalid query: expected AND or OR before "${rest}".`, { param: 'query' });
    }
  }
  return { clauses, joiner: joiner ?? 'AND' };
}

export function matchesQuery(obj: Record<string, unknown>, query: ReturnType<typeof parseQuery>, allowed: string[]): boolean {
  const test = (c: Clause): boolean => {
    if (!allowed.includes(c.field)) throw invalidRequest(`Field '${c.field}' is not supported for search.`, { param: 'query' });
    let actual: unknown = obj[c.field];
    if (c.field === 'metadata') actual = (obj.metadata as Record<string, string> | null)?.[c.metadataKey ?? ''];
    let ok: boolean;
    if (actual === undefined || actual === null) ok = false;
    else if (c.op === ':') ok = String(actual) === c.value;
    else if (c.op === '~') ok = String(actual).toLowerCase().includes(c.value.toLowerCase());
    else {
      const a = Number(actual);
      const v = Number(c.value);
      ok = c.op === '>' ? a > v : c.op === '<' ? a < v : c.op === '>=' ? a >= v : a <= v;
    }
    return c.negate ? !ok : ok;
  };
  return query.joiner === 'AND' ? query.clauses.every(test) : query.clauses.some(test);
}

export interface SearchResult<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
  total_count?: number;
}

export function searchPage<T>(items: T[], params: { limit?: number; page?: string }, url: string): SearchResult<T> {
  const limit = params.limit ?? 10;
  const offset = params.page ? Number(Buffer.from(params.page, 'base64url').toString()) || 0 : 0;
  const data = items.slice(offset, offset + limit);
  const more = items.length > offset + limit;
  return {
    object: 'search_result',
    data,
    has_more: more,
    next_page: more ? Buffer.from(String(offset + limit)).toString('base64url') : null,
    url,
  };
}
