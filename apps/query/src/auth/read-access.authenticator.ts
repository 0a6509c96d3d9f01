import { Injectable } from '@nestjs/common';
import { AuthError, JwtVerifier, type Principal } from '@audit/auth';
import { fail, ok, Problems, type Result } from '../http/problem';
import { may, PERMISSIONS, type Permission } from './read-access';

/** Bearer token → principal → permission check, as a value the controllers return on failure. */
@Injectable()
export class ReadAccessAuthenticator {
  constructor(private readonly verifier: JwtVerifier) {}

  async authorize(authorization: string | undefined, permission: Permission): Promise<Result<Principal>> {
    let principal: Principal;
    try {
      principal = await this.verifier.verify(authorization);
    } catch (error) {
      if (error instanceof AuthError) return fail(Problems.unauthenticated(error.message));
      throw error;
    }
    if (!may(principal, permission)) return fail(Problems.forbidden(`${permission} needs the ${PERMISSIONS[permission]} role or above`));
    return ok(principal);
  }
}
