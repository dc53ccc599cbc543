// The plan an item needs, as a coloured badge.
export const kindLabel = { article: 'Article', file: 'File', tool: 'Tool' } as const;

export function PlanBadge({ plan, name }: { plan: 'free' | 'pro' | 'business'; name: string }) {
  return <span className={`badge plan-badge plan-badge-${plan}`}>{name}</span>;
}
