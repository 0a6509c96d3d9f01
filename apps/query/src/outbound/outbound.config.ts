import { isIP } from 'node:net';
import { z } from 'zod';

const list = (check: (item: string) => boolean, rule: string) =>
  z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((items) => items.every(check), { message: rule });

function isCidr(item: string): boolean {
  const [address, prefix, extra] = item.split('/');
  if (extra !== undefined || !address || isIP(address) === 0) return false;
  if (prefix === undefined) return true;
  const max = isIP(address) === 6 ? 128 : 32;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
}

/**
 * Environment of outbound requests (alert webhooks, SIEM sinks; spread into the query service's env).
 * By default only public addresses are reached; an operator who runs a receiver inside the network
 * (or a test suite with receivers on 127.0.0.1) allows it here, explicitly.
 */
export const outboundEnv = {
  /** Host names reached whatever they resolve to (exact, comma-separated), e.g. `siem.internal`. */
  OUTBOUND_ALLOW_HOSTS: list((h) => /^[a-z0-9.-]+$/i.test(h), 'must be comma-separated host names'),
  /** Address ranges reached although private or loopback (comma-separated CIDRs), e.g. `10.1.2.0/24`. */
  OUTBOUND_ALLOW_CIDRS: list(isCidr, 'must be comma-separated IP addresses or CIDRs (10.0.0.0/8, fd00::/8)'),
};
