export * from './read-ledger';
export * from './verify-ledger';
