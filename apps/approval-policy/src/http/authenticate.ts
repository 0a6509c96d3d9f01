import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { hasRole, JwtVerifier, type Principal, type Role } from '@audit/auth';
import type { Provenance } from '@audit/contracts';
import { InjectConfig } from '@audit/service-shell';
import type { ApprovalPolicyConfig } from '../app.module';
import { Problems, ProblemError } from './problem';

/** Verifies the bearer JWT (jose: signature, issuer, audience, expiry) and returns who is calling. */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(JwtVerifier) private readonly verifier: JwtVerifier,
    @InjectConfig() private readonly config: ApprovalPolicyConfig,
  ) {}

  async principal(request: FastifyRequest, role?: Role): Promise<Principal> {
    const principal = await this.verifier.verify(request.headers.authorization);
    if (role && !hasRole(principal, role)) throw new ProblemError(Problems.forbidden(`this endpoint needs the ${role} role`));
    return principal;
  }

  /**
   * Who asserts what a verified user sends through this API: the token's issuer and subject, and the
   * roles and groups it carried at that moment — what the gate may count, never what a body claims. The
   * verifier accepts only tokens of the configured issuer, so that is the token's issuer.
   */
  provenanceOf(principal: Principal, via: string): Provenance {
    return {
      kind: 'user_token',
      id: `${this.config.JWT_ISSUER}|${principal.sub}`,
      auth: this.config.JWT_JWKS_URL ? 'jwt-jwks' : 'jwt-dev-hs256',
      scopes: [],
      issuer: this.config.JWT_ISSUER,
      subject: principal.sub,
      roles: [...principal.roles],
      groups: [...principal.groups],
      via,
    };
  }
}
