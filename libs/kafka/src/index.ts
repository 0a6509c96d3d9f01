export * from './client';
export * from './publisher';
export * from './consumer-runner';
export * from './partition-progress';
