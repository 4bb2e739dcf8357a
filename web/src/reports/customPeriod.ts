/**
 * What is wrong with custom report dates as a shared URL may carry them, if anything: one
 * clear message per problem (the reports then show it instead of failing to load), and for
 * reversed dates the swapped range to offer. Pure: brand-local YYYY-MM-DD strings in.
 */
export type CustomPeriodProblem =
  | { kind: 'reversed'; swapped: { from: string; to: string } }
  | { kind: 'future' }
  | null;

export function customPeriodProblem(from: string, to: string, today: string): CustomPeriodProblem {
  // a reversed range is the problem to fix first: "starts after today" would mislead when only the order is wrong
  if (from > to) return { kind: 'reversed', swapped: { from: to, to: from } };
  if (from > today) return { kind: 'future' };
  return null;
}
