import { uuidv7 } from '@audit/contracts';

/** Time and ids come in from outside, so handlers and tests control them. */
export const CLOCK = Symbol('CLOCK');
export const ID_GENERATOR = Symbol('ID_GENERATOR');

export type Clock = () => Date;
export type IdGenerator = (now: Date) => string;

export const systemClock: Clock = () => new Date();
export const uuidv7Ids: IdGenerator = (now) => uuidv7(now);
