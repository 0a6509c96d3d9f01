export * from './kafka-lifecycle';
