export * from './tokens';
export * from './service-shell.module';
export { awaitDependencies, type AwaitDependenciesOptions } from './await-dependencies/await-dependencies';
export { Client as OpenSearchClient } from '@opensearch-project/opensearch';
