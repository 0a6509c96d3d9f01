import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { hasRole, JwtVerifier, type Principal, type Role } from '@audit/auth';
import { Problems, ProblemError } from './problem';

/** Verifies the bearer JWT (jose: signature, issuer, audience, expiry) and returns who is calling. */
@Injectable()
export class Authenticator {
  constructor(@Inject(JwtVerifier) private readonly verifier: JwtVerifier) {}

  async principal(request: FastifyRequest, role?: Role): Promise<Principal> {
    const principal = await this.verifier.verify(request.headers.authorization);
    if (role && !hasRole(principal, role)) throw new ProblemError(Problems.forbidden(`this endpoint needs the ${role} role`));
    return principal;
  }
}
