export * from './claims';
export * from './jwt';
export * from './auth-env';
