import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasRole, JwtVerifier, type Principal } from '@audit/auth';
import { authenticateBearer } from '../auth/read-access.authenticator';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../clock';
import { fail, ok, Problems, sendProblem, sendResult, type ProblemResult, type Result } from '../http/problem';
import { AuditReadRecorder } from '../reads/audit-read.recorder';
import type { ExportJob } from './export-job.repository';
import { validateExportRequest } from './export-request';
import { bundlePath, ExportRunner } from './export.runner';

/** Exports hand whole record sets out of the system: auditors and admins only. */
export const EXPORT_ROLE = 'auditor';

const EXPORT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function conflict(detail: string): ProblemResult {
  return { problem: { type: 'https://audit-ledger.dev/problems/export-not-ready', title: 'The export is not ready', status: 409, detail } };
}

function gone(detail: string): ProblemResult {
  return { problem: { type: 'https://audit-ledger.dev/problems/export-gone', title: 'The export file is gone', status: 410, detail } };
}

/** The job as the API shows it (contract shared with the console). */
export function jobView(job: ExportJob): Record<string, unknown> {
  const self = `/v1/exports/${job.id}`;
  return {
    id: job.id,
    status: job.status,
    progress: { phase: job.phase, records: job.records, ...(job.total !== null ? { total: job.total } : {}) },
    ...(job.error !== null ? { error: job.error } : {}),
    ...(job.bytes !== null ? { bytes: job.bytes } : {}),
    ...(job.manifestSha256 !== null ? { manifestSha256: job.manifestSha256 } : {}),
    request: job.request,
    requestedBy: job.requestedBy.sub,
    createdAt: job.createdAt.toISOString(),
    ...(job.finishedAt !== null ? { finishedAt: job.finishedAt.toISOString() } : {}),
    links: { self, download: `${self}/download` },
  };
}

/**
 * `POST /v1/exports`, `GET /v1/exports`, `GET /v1/exports/:id`, `GET /v1/exports/:id/download`.
 * The tenant is the token's; another tenant's job is not found (row-level security on the reads).
 */
@Controller('v1/exports')
export class ExportsHttpController {
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly runner: ExportRunner,
    private readonly reads: AuditReadRecorder,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly newId: IdGenerator,
  ) {}

  private async authorize(request: FastifyRequest): Promise<Result<Principal>> {
    const authenticated = await authenticateBearer(this.verifier, request.headers.authorization);
    if (!authenticated.ok) return authenticated;
    if (!hasRole(authenticated.value, EXPORT_ROLE)) return fail(Problems.forbidden(`exports need the ${EXPORT_ROLE} role or above`));
    return authenticated;
  }

  @Post()
  async create(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.authorize(request);
    if (!principal.ok) return sendProblem(reply, principal.error);
    const valid = validateExportRequest(body ?? null);
    if (!valid.ok) return sendProblem(reply, valid.error);
    const { sub, tenant, roles, groups, name } = principal.value;
    const now = this.clock();
    const job = await this.runner.jobs.insert({
      tenant,
      id: this.newId(now),
      request: valid.value.request,
      requestedBy: { sub, roles: [...roles], groups: [...groups], ...(name ? { name } : {}) },
      createdAt: now,
    });
    this.runner.kick();
    const view = jobView(job);
    reply.header('location', `/v1/exports/${job.id}`);
    sendResult(reply, ok({ id: view.id, status: 'queued', links: view.links }), 202);
  }

  @Get()
  async list(@Query('limit') limitText: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.authorize(request);
    if (!principal.ok) return sendProblem(reply, principal.error);
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) return sendProblem(reply, Problems.badParameter('limit', 'must be an integer from 1 to 200'));
    const jobs = await this.runner.jobs.list(principal.value.tenant, limit);
    sendResult(reply, await this.reads.recorded({ principal: principal.value, endpoint: '/v1/exports', query: { limit } }, ok({ exports: jobs.map(jobView) }), (v) => v.exports.length));
  }

  @Get(':id')
  async get(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.authorize(request);
    if (!principal.ok) return sendProblem(reply, principal.error);
    const job = await this.find(principal.value, id);
    sendResult(reply, await this.reads.recorded({ principal: principal.value, endpoint: '/v1/exports/{id}', query: { id } }, job.ok ? ok(jobView(job.value)) : job, () => 1));
  }

  /** The bundle, once succeeded (409 before); the download itself is recorded as an audit.read. */
  @Get(':id/download')
  async download(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.authorize(request);
    if (!principal.ok) return sendProblem(reply, principal.error);
    const found = await this.find(principal.value, id);
    if (!found.ok) return sendProblem(reply, found.error);
    const job = found.value;
    if (job.status !== 'succeeded') {
      return sendProblem(reply, conflict(job.status === 'failed' ? `export ${id} failed: ${job.error ?? 'unknown error'}` : `export ${id} is ${job.status} (${job.phase}, ${job.records} records so far); poll /v1/exports/${id}`));
    }
    const path = bundlePath(this.runner.dir, job);
    const size = await stat(path).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) return sendProblem(reply, gone(`the bundle of export ${id} is no longer on this server; request the export again`));
    const recorded = await this.reads.record({ principal: principal.value, endpoint: '/v1/exports/{id}/download', query: { id, manifestSha256: job.manifestSha256 ?? undefined }, resultCount: job.records });
    if (!recorded.ok) return sendProblem(reply, recorded.error);
    reply
      .status(200)
      .header('content-type', 'application/gzip')
      .header('content-length', String(size))
      .header('content-disposition', `attachment; filename="audit-export-${job.tenant}-${job.id}.tar.gz"`)
      .header('x-manifest-sha256', job.manifestSha256 ?? '');
    await reply.send(createReadStream(path));
  }

  private async find(principal: Principal, id: string): Promise<Result<ExportJob>> {
    if (!EXPORT_ID.test(id)) return fail(Problems.notFound(`no export ${id.slice(0, 64)} in your tenant`));
    const job = await this.runner.jobs.get(principal.tenant, id);
    return job ? ok(job) : fail(Problems.notFound(`no export ${id} in your tenant`));
  }
}
