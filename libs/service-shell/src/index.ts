export * from './tokens';
export * from './service-shell.module';
export { Client as OpenSearchClient } from '@opensearch-project/opensearch';
