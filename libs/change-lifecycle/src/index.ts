export * from './state';
export * from './evolve';
export * from './gate';
export * from './verdicts';
export * from './decide';
export * from './resolved-rule';
export * from './trust';
export { fillQuorum, type QuorumCandidate, type QuorumNeed, type QuorumResult } from './quorum';
export { parseIsoDuration } from './iso-duration';
