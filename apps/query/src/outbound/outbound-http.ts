import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { OutboundRefusedError, type OutboundPolicy } from './outbound-policy';

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most `maxBodyBytes` of the answer, as text. */
  body: string;
}

export interface OutboundRequest {
  headers: Record<string, string>;
  body: string | Buffer;
  signal: AbortSignal;
  maxBodyBytes?: number;
}

/**
 * POSTs to a URL the policy allows, connecting to the address the policy checked (the socket's lookup is
 * the policy's, so a DNS answer that changes after the check is never used) and following no redirect
 * (node:http does not; a 3xx is returned as it is). Rejects with OutboundRefusedError before any byte is sent
 * when the address is refused, and with the socket's error otherwise.
 */
export async function postOutbound(policy: OutboundPolicy, url: string, req: OutboundRequest): Promise<OutboundResponse> {
  const form = policy.checkForm(url);
  if (form) throw new OutboundRefusedError(form);
  const target = new URL(url);
  // An IP literal skips the socket's lookup, so it is checked here.
  if (isIP(target.hostname.replace(/^\[|\]$/g, '')) !== 0) await policy.resolveAllowed(target.hostname);
  const lookup: LookupFunction = (hostname, options, callback) => {
    policy.resolveAllowed(hostname).then(
      (a) => {
        if ((options as { all?: boolean }).all) (callback as unknown as (e: null, all: { address: string; family: number }[]) => void)(null, [a]);
        else callback(null, a.address, a.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const limit = req.maxBodyBytes ?? 64 * 1024;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const request = send(
      target,
      { method: 'POST', headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) }, signal: req.signal, lookup },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < limit) chunks.push(chunk.subarray(0, limit - size));
          size += chunk.length;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(req.body);
  });
}
