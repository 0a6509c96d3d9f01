export * from './expect-eventually';
export * from './builders';
export * from './infrastructure';
export * from './service-smoke';
export * from './service-credential';
export * from './tokens';
