import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@audit/observability';
import { InjectLogger } from '@audit/service-shell';
import { CLOCK, type Clock } from '../clock';
import { fail, ok, Problems, type Result } from '../http/problem';
import { hashApiKeySecret, parseApiKey } from '@audit/contracts';
import { keyFromHeaders, secretMatches, type EmitterScope } from './api-key';
import { ApiKeyRepository, type StoredApiKey } from './api-key.repository';
import { TokenBuckets } from './token-bucket';

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
export interface AuthOptions {
  cacheMs: number;
  ratePerSecond: number;
  burst: number;
  unavailableRetryAfterS: number;
}

/** Never matches a real secret; compared against when the key id is unknown, so both paths cost the same. */
const DUMMY_HASH = hashApiKeySecret('no such key');

/**
 * Authenticates an emitter from its API key and applies the per-key rate limit. The tenant of every
 * event comes from here, never from a request body.
 */
@Injectable()
export class EmitterAuthenticator {
  private readonly cache = new Map<string, { key: StoredApiKey | undefined; at: number }>();
  private readonly buckets: TokenBuckets;

  constructor(
    private readonly keys: ApiKeyRepository,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectLogger() private readonly logger: Logger,
  ) {
    this.buckets = new TokenBuckets({ ratePerSecond: options.ratePerSecond, burst: options.burst });
  }

  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Result<EmitterScope>> {
    const presented = keyFromHeaders(headers);
    if (presented === undefined) return fail(Problems.unauthenticated('send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>"'));
    if ('error' in presented) return fail(Problems.unauthenticated(presented.error));
    const parsed = parseApiKey(presented.token);
    if (!parsed) return fail(Problems.unauthenticated('the API key is malformed'));

    let stored: StoredApiKey | undefined;
    try {
      stored = await this.lookup(parsed.keyId);
    } catch (error) {
      this.logger.error({ err: error, keyId: parsed.keyId }, 'API key store unavailable');
      return fail(Problems.unavailable('the credential store is unavailable', this.options.unavailableRetryAfterS));
    }
    const matches = secretMatches(parsed.secret, stored?.secretSha256 ?? DUMMY_HASH);
    if (!stored || !matches || stored.revoked) {
      this.logger.warn({ keyId: parsed.keyId, reason: !stored ? 'unknown' : stored.revoked ? 'revoked' : 'wrong secret' }, 'API key refused');
      return fail(Problems.unauthenticated('the API key is unknown or revoked'));
    }
    const taken = this.buckets.take(stored.keyId, this.clock().getTime());
    if (!taken.allowed) return fail(Problems.rateLimited(taken.retryAfterSeconds));
    return ok({ keyId: stored.keyId, tenant: stored.tenant, allowedSources: stored.allowedSources, allowedTypes: stored.allowedTypes, scopes: stored.scopes });
  }

  private async lookup(keyId: string): Promise<StoredApiKey | undefined> {
    const now = this.clock().getTime();
    const hit = this.cache.get(keyId);
    if (hit && hit.key && now - hit.at < this.options.cacheMs) return hit.key;
    const key = await this.keys.find(keyId);
    // Only known keys are cached: random key ids must not grow the map.
    if (key) this.cache.set(keyId, { key, at: now });
    else this.cache.delete(keyId);
    return key;
  }
}
