export * from './read-ledger';
export * from './verify-ledger';
export * from './export-reads';
export * from './export-ledger';
export * from './retention';
export * from './redactions';
