import { WEEKDAYS, type FreezeWindow } from './policy.document';

export interface LocalTime {
  /** `YYYY-MM-DDTHH:MM`, comparable as a string. */
  dateTime: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock time of `instant` in `timeZone`; pure given its inputs. */
export function localTime(instant: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(instant).map((p) => [p.type, p.value]));
  const weekday = WEEKDAYS.indexOf(String(parts.weekday).toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number]);
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  return { dateTime: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`, weekday, hour, minute };
}

/** The freeze windows in force at `now` for `environment` (a window without `environments` covers all). */
export function activeFreezeWindows(windows: readonly FreezeWindow[], environment: string, now: Date): FreezeWindow[] {
  return windows.filter((w) => {
    if (w.environments && !w.environments.includes(environment)) return false;
    const local = localTime(now, w.timeZone);
    if (w.ranges.some((r) => r.start <= local.dateTime && local.dateTime < r.end)) return true;
    const hhmm = local.dateTime.slice(11);
    const day = WEEKDAYS[local.weekday];
    return w.weekly.some((s) => day !== undefined && s.days.includes(day) && s.from <= hhmm && hhmm < s.to);
  });
}
