import type { ProblemResult } from './problem';

/** Carries a problem through Fastify's hooks and parsers (which can only fail by throwing) to the filter. */
export class ProblemError extends Error {
  constructor(readonly result: ProblemResult) {
    super(result.problem.detail ?? result.problem.title);
    this.name = 'ProblemError';
  }
}
