import { z } from 'zod';
import { parseIsoDuration } from '@audit/change-lifecycle';

/** Group names as tokens carry them (`groups` claim) and approval events record them (`actor.teams`). */
export const groupName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be lowercase letters, digits or . _ -');

const isoDuration = z.string().refine((s) => parseIsoDuration(s) !== undefined, {
  message: 'must be an ISO 8601 duration of days/hours/minutes/seconds, e.g. PT4H or P1D',
});

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Europe/Paris or UTC' },
);

const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be a local date-time YYYY-MM-DDTHH:MM (in the window time zone)');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (24:00 allowed as an end)');
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const Requirement = z.union([
  z.strictObject({ allow: z.literal(true) }),
  z.strictObject({ deny: z.string().min(1).max(1024) }),
  z.strictObject({
    approvals: z
      .array(z.strictObject({ group: groupName, count: z.number().int() }))
      .min(1)
      .max(16),
    validFor: isoDuration.optional(),
    breakGlass: z.boolean().default(false),
    acceptGithubReviews: z.boolean().default(false),
  }),
]);

export const Rule = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, 'must be 1-128 letters, digits, spaces or . _ -'),
  when: z.string().min(1).max(4096),
  require: Requirement,
});

/**
 * A freeze window: explicit local ranges and/or weekly recurring spans (an RRULE-lite: days + from/to).
 * Times are local to `timeZone`; an `end` or `to` is exclusive.
 */
export const FreezeWindow = z.strictObject({
  name: z.string().min(1).max(128),
  timeZone: timeZone.default('UTC'),
  environments: z.array(z.string().min(1).max(64)).max(64).optional(),
  ranges: z
    .array(z.strictObject({ start: localDateTime, end: localDateTime }).refine((r) => r.start < r.end, { message: 'start must be before end' }))
    .max(256)
    .default([]),
  weekly: z
    .array(
      z.strictObject({ days: z.array(z.enum(WEEKDAYS)).min(1).max(7), from: clock, to: clock }).refine((w) => w.from < w.to, {
        message: 'from must be before to (split a span that crosses midnight in two)',
      }),
    )
    .max(64)
    .default([]),
});

export const GroupDefinition = z.strictObject({
  name: groupName,
  /** Used only to prove a quorum is reachable; who counts is decided by the groups recorded on each approval. */
  members: z.array(z.string().min(1).max(256)).max(10_000),
});

export const PolicyDocument = z.strictObject({
  /** Evaluation time zone of `now.hour` and `now.weekday`. */
  timeZone: timeZone.default('UTC'),
  groups: z.array(GroupDefinition).max(256).default([]),
  rules: z.array(Rule).min(1).max(256),
  /** What applies when no rule matches. Fail closed by default. */
  default: Requirement.default({ deny: 'no policy rule matched this change' }),
  freezeWindows: z.array(FreezeWindow).max(64).default([]),
  breakGlass: z.strictObject({ reviewWithin: isoDuration.default('PT24H') }).default({ reviewWithin: 'PT24H' }),
});
export type PolicyDocumentInput = z.input<typeof PolicyDocument>;
export type PolicyDocument = z.output<typeof PolicyDocument>;
export type Requirement = z.output<typeof Requirement>;
export type FreezeWindow = z.output<typeof FreezeWindow>;

/** GitHub reviews (`review.submitted`) always carry this group, so a rule can ask for "1 GitHub review". */
export { GITHUB_REVIEWER_GROUP } from '@audit/change-lifecycle';
