import { Injectable } from '@nestjs/common';
import { AuthError, JwtVerifier, type Principal } from '@audit/auth';
import { fail, ok, Problems, type Result } from '../http/problem';
import { may, PERMISSIONS, type Permission } from './read-access';

/** Bearer token → principal, or the 401 problem the controllers return (shared by reads and alerting). */
export async function authenticateBearer(verifier: JwtVerifier, authorization: string | undefined): Promise<Result<Principal>> {
  try {
    return ok(await verifier.verify(authorization));
  } catch (error) {
    if (error instanceof AuthError) return fail(Problems.unauthenticated(error.message));
    throw error;
  }
}

/** Bearer token → principal → permission check, as a value the controllers return on failure. */
@Injectable()
export class ReadAccessAuthenticator {
  constructor(private readonly verifier: JwtVerifier) {}

  async authorize(authorization: string | undefined, permission: Permission): Promise<Result<Principal>> {
    const authenticated = await authenticateBearer(this.verifier, authorization);
    if (!authenticated.ok) return authenticated;
    const principal = authenticated.value;
    if (!may(principal, permission)) return fail(Problems.forbidden(`${permission} needs the ${PERMISSIONS[permission]} role or above`));
    return ok(principal);
  }
}
