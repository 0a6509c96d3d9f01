export { uuidv7 } from '@audit/contracts';
