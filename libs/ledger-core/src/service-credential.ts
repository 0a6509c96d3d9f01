import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalBytes } from './jcs';

/**
 * The service credential: how our own services prove to the ledger that they, and not any producer that
 * can reach Kafka, put an event on `audit.ingested.v1`. It is an HMAC-SHA256, under a per-deployment
 * secret (`SERVICE_CREDENTIAL_SECRET`, never in code or committed config), of the event's RFC 8785
 * canonical JSON — the same bytes the ledger hashes — sent as a Kafka header. Signing the canonical form
 * rather than the wire bytes lets the ledger check the event it parsed, whatever whitespace the producer used.
 *
 * Secrets rotate by listing several (comma-separated): the first signs, every one verifies.
 */
export const SERVICE_CREDENTIAL_HEADER = 'x-audit-service-credential';

const DOMAIN = Buffer.from('audit-ledger:service-credential:v1\n', 'utf8');
const PREFIX = 'hmac-sha256=';
/** A secret shorter than this is refused by every service's config (and here, so no caller can slip). */
export const MIN_SERVICE_SECRET_LENGTH = 32;

export function parseServiceSecrets(value: string): string[] {
  const secrets = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (secrets.length === 0) throw new Error('no service credential secret given');
  for (const s of secrets) if (s.length < MIN_SERVICE_SECRET_LENGTH) throw new Error(`a service credential secret must be at least ${MIN_SERVICE_SECRET_LENGTH} characters`);
  return secrets;
}

function mac(secret: string, event: unknown): Buffer {
  return createHmac('sha256', secret).update(DOMAIN).update(canonicalBytes(event)).digest();
}

/** The header value for one event (the secret list's first secret signs). */
export function signServiceEvent(secrets: readonly string[], event: unknown): string {
  const secret = secrets[0];
  if (secret === undefined) throw new Error('no service credential secret given');
  return PREFIX + mac(secret, event).toString('base64url');
}

/**
 * A message value with the credential header, ready for the publisher. Give it the event as the topic's
 * schema outputs it (defaults filled in): the value is what survives a JSON round trip (no `undefined`),
 * which is exactly what the ledger parses back and checks.
 */
export function serviceSignedMessage<T>(secrets: readonly string[], event: T): { value: T; headers: Record<string, string> } {
  const value = JSON.parse(JSON.stringify(event)) as T;
  return { value, headers: { [SERVICE_CREDENTIAL_HEADER]: signServiceEvent(secrets, value) } };
}

/** Whether a header value proves the event came from a holder of one of the secrets (constant time per secret). */
export function verifyServiceEvent(secrets: readonly string[], event: unknown, header: string | Buffer | undefined): boolean {
  const text = header === undefined ? undefined : typeof header === 'string' ? header : header.toString('utf8');
  if (text === undefined || !text.startsWith(PREFIX)) return false;
  const presented = Buffer.from(text.slice(PREFIX.length), 'base64url');
  if (presented.length !== 32) return false;
  return secrets.some((secret) => timingSafeEqual(mac(secret, event), presented));
}
