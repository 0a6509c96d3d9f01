import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { evaluateReadiness, type ReadinessCheck, type ReadinessReport } from '../readiness';
import { READINESS_CHECKS } from './tokens';

@Controller()
export class HealthHttpController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  /** Liveness: the process answers. Never depends on Kafka/Postgres/OpenSearch, so they cannot restart us. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every connection this service uses works right now. */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await evaluateReadiness(this.checks);
    reply.status(report.ready ? 200 : 503);
    return report;
  }
}
