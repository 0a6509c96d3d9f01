/** RFC 3339 timestamps in UTC, as used by records and checkpoints. Not part of the public API. */

// `Z` only: one spelling per instant keeps hashed and signed text unambiguous.
const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * True for `YYYY-MM-DDTHH:MM:SS[.fraction]Z` naming a real calendar instant (1–9 fraction digits,
 * no leap second, no offset other than `Z`). `Date#toISOString()` output always qualifies.
 */
export function isRfc3339Utc(text: string): boolean {
  const match = RFC3339_UTC.exec(text);
  if (match === null) {
    return false;
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/**
 * A string that orders like the instants do, for timestamps that passed `isRfc3339Utc` (fractions of
 * different lengths do not compare correctly as written, e.g. `…00.5Z` sorts before `…00Z`).
 */
export function rfc3339SortKey(text: string): string {
  const dot = text.indexOf('.');
  const whole = dot === -1 ? text.slice(0, -1) : text.slice(0, dot);
  const fraction = dot === -1 ? '' : text.slice(dot + 1, -1);
  return `${whole}.${fraction.padEnd(9, '0')}`;
}
