import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { embeddedIPv4, refusedRange } from './outbound-address';

/** An address a resolver returned. */
export interface ResolvedAddress {
  address: string;
  family: number;
}
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

/** Why a URL may not be reached; `rule` is stable (tests, dashboards), `message` is for people. */
export interface OutboundRefusal {
  rule: string;
  message: string;
}

/** What the operator allows beyond the public internet (`OUTBOUND_ALLOW_HOSTS`, `OUTBOUND_ALLOW_CIDRS`). */
export interface OutboundAllowlist {
  hosts: string[];
  cidrs: string[];
}

export class OutboundRefusedError extends Error {
  readonly code = 'EOUTBOUNDREFUSED';
  constructor(readonly refusal: OutboundRefusal) {
    super(refusal.message);
    this.name = 'OutboundRefusedError';
  }
}

const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Decides whether an outbound URL may be reached: http(s) only, no IP written in an odd form, and every
 * address its host resolves to public — unless the operator's allowlist names the host or the address.
 * Used at save (the URL as written and as resolved now) and at send (the address right before the
 * socket connects: the lookup below is what the request connects to, so DNS cannot change in between).
 */
export class OutboundPolicy {
  private readonly hosts: Set<string>;
  private readonly cidrs = new BlockList();

  constructor(
    allow: OutboundAllowlist = { hosts: [], cidrs: [] },
    private readonly resolve: Resolve = systemResolve,
  ) {
    this.hosts = new Set(allow.hosts.map((h) => h.toLowerCase()));
    for (const cidr of allow.cidrs) {
      const [address, prefix] = cidr.split('/') as [string, string | undefined];
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      this.cidrs.addSubnet(address, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family);
    }
  }

  /** The refusal for a URL as written (no DNS), or undefined when its form is acceptable. */
  checkForm(url: string): OutboundRefusal | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { rule: 'url', message: 'must be a URL' };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { rule: 'scheme', message: 'must be an http(s) URL' };
    const written = writtenHost(url);
    const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
    // The WHATWG parser reads 2130706433, 0177.0.0.1 and 0x7f.1 as 127.0.0.1; nobody writes a webhook
    // that way except to slip past a filter, so any IPv4 literal must be written as four decimals.
    if (isIP(host) === 4 && written !== host) return { rule: 'ip-form', message: `host ${written} must be written as a dotted-decimal IPv4 address` };
    const literal = host.replace(/^\[|\]$/g, '');
    // [::ffff:127.0.0.1] and its kin are IPv4 addresses dressed as IPv6: write the IPv4 address.
    if (isIP(literal) === 6 && embeddedIPv4(literal) !== undefined) return { rule: 'ip-form', message: `host ${written} embeds an IPv4 address; write it as dotted-decimal IPv4` };
    if (this.hosts.has(host)) return undefined;
    if (isIP(literal) !== 0) return this.checkAddress(literal);
    if (host === 'localhost' || host.endsWith('.localhost')) return { rule: 'loopback', message: `host ${host} is a loopback name` };
    return undefined;
  }

  /** The refusal for a URL as written and as its host resolves now, or undefined when it may be reached. */
  async check(url: string): Promise<OutboundRefusal | undefined> {
    const form = this.checkForm(url);
    if (form) return form;
    const host = new URL(url).hostname.toLowerCase();
    if (this.hosts.has(host) || isIP(host.replace(/^\[|\]$/g, '')) !== 0) return undefined;
    try {
      await this.resolveAllowed(host);
      return undefined;
    } catch (error) {
      if (error instanceof OutboundRefusedError) return error.refusal;
      return { rule: 'dns', message: `host ${host} does not resolve` };
    }
  }

  /** The refusal for one IP address, or undefined when it is public or allowlisted. */
  checkAddress(address: string): OutboundRefusal | undefined {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.cidrs.check(address, family)) return undefined;
    const range = refusedRange(address);
    return range ? { rule: range, message: `address ${address} is ${range} and not in OUTBOUND_ALLOW_CIDRS` } : undefined;
  }

  /**
   * Resolves a host and returns the address to connect to; throws OutboundRefusedError when any address is
   * refused (a name that resolves to one public and one private address is refused: the client could be
   * pointed at either).
   */
  async resolveAllowed(hostname: string): Promise<ResolvedAddress> {
    const host = hostname.toLowerCase();
    const literal = host.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0) {
      const refusal = this.hosts.has(host) ? undefined : this.checkAddress(literal);
      if (refusal) throw new OutboundRefusedError(refusal);
      return { address: literal, family: isIP(literal) };
    }
    const addresses = await this.resolve(host);
    if (addresses.length === 0) throw new OutboundRefusedError({ rule: 'dns', message: `host ${host} does not resolve` });
    if (!this.hosts.has(host)) {
      for (const a of addresses) {
        const refusal = this.checkAddress(a.address);
        if (refusal) throw new OutboundRefusedError({ rule: refusal.rule, message: `host ${host} resolves to ${refusal.message.replace(/^address /, '')}` });
      }
    }
    return addresses[0]!;
  }
}

/** The host exactly as the URL's author wrote it (lower-cased), before the parser normalized it. */
function writtenHost(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(url.trim());
  return (match?.[1] ?? '').toLowerCase();
}

/** Parses the allowlist variables: comma-separated, blanks ignored. */
export function parseAllowlist(hosts: string, cidrs: string): OutboundAllowlist {
  const split = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  return { hosts: split(hosts), cidrs: split(cidrs) };
}
