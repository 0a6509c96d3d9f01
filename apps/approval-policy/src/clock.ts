/** Time is an input: handlers ask the clock, tests and the bench inject their own. */
export type Clock = () => Date;
export const CLOCK = Symbol('CLOCK');
export const systemClock: Clock = () => new Date();
