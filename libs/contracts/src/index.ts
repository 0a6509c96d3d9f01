export * from './primitives';
export * from './audit-event';
export * from './topics';
export * from './issues';
export * from './json-schema';
export * from './uuid';
export * from './ingest-api';
export * from './api-key';
