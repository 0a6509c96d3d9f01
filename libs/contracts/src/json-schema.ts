import { z } from 'zod';
import { AuditEventInput } from './audit-event';

/** JSON Schema (draft 2020-12) of what emitters send, for emitters written in other languages. */
export function auditEventInputJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://audit-ledger.dev/schemas/audit-event-input.v1.json',
    title: 'AuditEventInput v1',
    ...z.toJSONSchema(AuditEventInput, { io: 'input', unrepresentable: 'any' }),
  };
}

export const JSON_SCHEMA_FILE = 'libs/contracts/json-schema/audit-event-input.v1.schema.json';

export function renderJsonSchema(): string {
  return `${JSON.stringify(auditEventInputJsonSchema(), null, 2)}\n`;
}
