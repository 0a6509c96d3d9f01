export * from './config';
export * from './service-credential-env';
