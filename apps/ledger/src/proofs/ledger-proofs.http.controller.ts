import { Controller, Get, Headers, HttpException, Inject, Query } from '@nestjs/common';
import { z } from 'zod';
import { AuthError, hasRole, JwtVerifier, type Principal, type Role } from '@audit/auth';
import { toFieldIssues } from '@audit/contracts';
import { describeKeys } from '../keys/signing-keys';
import { SigningKeysProvider } from '../keys/signing-keys.provider';
import { LedgerReadsRecorder } from '../reads/ledger-reads.recorder';
import { LedgerProofsService, ProofRequestError } from './ledger-proofs.service';

export const JWT_VERIFIER = Symbol('JWT_VERIFIER');

/** The least role that reads this tenant's checkpoints and proofs. */
const READER: Role = 'viewer';

export const InclusionQuery = z
  .strictObject({
    seq: z.coerce.number().int().positive().optional(),
    eventId: z.string().uuid().optional(),
    treeSize: z.coerce.number().int().positive().optional(),
  })
  .refine((q) => (q.seq === undefined) !== (q.eventId === undefined), { message: 'give exactly one of seq or eventId' });
export const ConsistencyQuery = z.strictObject({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() });
export const SizeQuery = z.strictObject({ size: z.coerce.number().int().positive().optional() });

/**
 * Checkpoints and proofs of the caller's tenant (tenant from the token, never from the URL), and the
 * public keys anyone needs to verify them offline. Checkpoints and proofs need a reader role (viewer or
 * more): a token of the tenant with no role at all — a service identity, a half-provisioned user — reads
 * nothing, as everywhere else.
 */
@Controller('v1')
export class LedgerProofsHttpController {
  constructor(
    private readonly proofs: LedgerProofsService,
    private readonly keys: SigningKeysProvider,
    @Inject(JWT_VERIFIER) private readonly jwt: JwtVerifier,
    private readonly reads: LedgerReadsRecorder,
  ) {}

  @Get('keys')
  publicKeys(): { keys: ReturnType<typeof describeKeys>; publicKeyPem: string } {
    return { keys: describeKeys(this.keys.keys), publicKeyPem: this.keys.keys.publicKeyPem };
  }

  @Get('checkpoints')
  async checkpoint(@Headers('authorization') auth: string | undefined, @Query() query: unknown): Promise<unknown> {
    const principal = await this.authenticate(auth);
    const { size } = parse(SizeQuery, query);
    const cp = size === undefined ? await this.proofs.latest(principal.tenant) : await this.proofs.atSize(principal.tenant, size);
    if (!cp) throw problem(404, size === undefined ? 'no checkpoint yet' : `no checkpoint at size ${size}`);
    await this.recorded(principal, '/v1/checkpoints', { size });
    return { tenant: cp.tenant, size: cp.size, rootHash: cp.rootHash.toString('base64'), signedAt: cp.signedAt.toISOString(), note: cp.note };
  }

  @Get('proofs/inclusion')
  async inclusion(@Headers('authorization') auth: string | undefined, @Query() query: unknown): Promise<unknown> {
    const principal = await this.authenticate(auth);
    const q = parse(InclusionQuery, query);
    const proof = await this.run(() =>
      this.proofs.inclusion(principal.tenant, q.seq !== undefined ? { seq: q.seq } : { eventId: q.eventId as string }, q.treeSize),
    );
    await this.recorded(principal, '/v1/proofs/inclusion', { seq: q.seq, eventId: q.eventId, treeSize: q.treeSize });
    return proof;
  }

  @Get('proofs/consistency')
  async consistency(@Headers('authorization') auth: string | undefined, @Query() query: unknown): Promise<unknown> {
    const principal = await this.authenticate(auth);
    const q = parse(ConsistencyQuery, query);
    const proof = await this.run(() => this.proofs.consistency(principal.tenant, q.from, q.to));
    await this.recorded(principal, '/v1/proofs/consistency', { from: q.from, to: q.to });
    return proof;
  }

  /** Every answered read is an audit.read in the ledger; unrecorded, it is not answered (503). */
  private async recorded(principal: Principal, endpoint: string, query: Record<string, string | number | undefined>): Promise<void> {
    if (!(await this.reads.record(principal, endpoint, query, 1))) throw problem(503, 'the read could not be recorded in the audit log; nothing was returned');
  }

  private async authenticate(header: string | undefined, needed: Role = READER): Promise<Principal> {
    let principal: Principal;
    try {
      principal = await this.jwt.verify(header);
    } catch (error) {
      if (error instanceof AuthError) throw problem(error.status, error.message);
      throw error;
    }
    if (!hasRole(principal, needed)) throw problem(403, `reading checkpoints and proofs needs the ${needed} role or higher`);
    return principal;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ProofRequestError) throw problem(error.status, error.message);
      throw error;
    }
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw problem(400, 'invalid query', toFieldIssues(r.error));
  return r.data;
}

function problem(status: number, detail: string, errors?: { path: string; message: string }[]): HttpException {
  return new HttpException({ type: 'about:blank', title: detail, status, detail, ...(errors ? { errors } : {}) }, status);
}
