import { Controller, Get, Headers, HttpException, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { AuthError, JwtVerifier } from '@audit/auth';
import { InjectPool } from '@audit/service-shell';
import { JWT_VERIFIER } from '../proofs/ledger-proofs.http.controller';
import { failureReason } from './verification-event';
import { loadVerificationState } from './verification-state.repository';

/** The last continuous verification of the caller's tenant (tenant from the token), for the console and operators. */
@Controller('v1')
export class VerificationHttpController {
  constructor(
    @InjectPool() private readonly pool: Pool,
    @Inject(JWT_VERIFIER) private readonly jwt: JwtVerifier,
  ) {}

  @Get('verification')
  async verification(@Headers('authorization') auth: string | undefined): Promise<unknown> {
    let tenant: string;
    try {
      tenant = (await this.jwt.verify(auth)).tenant;
    } catch (error) {
      if (error instanceof AuthError) throw problem(error.status, error.message);
      throw error;
    }
    const s = await loadVerificationState(this.pool, tenant);
    if (!s) throw problem(404, 'not verified yet');
    return {
      tenant,
      status: s.status,
      mode: s.mode,
      verifiedSize: s.resume.size,
      checkpointedSize: s.resume.checkpointedSize,
      rootHash: s.rootHash.toString('base64'),
      checkedAt: s.checkedAt.toISOString(),
      lastFullAt: s.lastFullAt?.toISOString() ?? null,
      failure: s.failure ? { ...s.failure, reason: failureReason(s.failure) } : null,
    };
  }
}

function problem(status: number, detail: string): HttpException {
  return new HttpException({ type: 'about:blank', title: detail, status, detail }, status);
}
