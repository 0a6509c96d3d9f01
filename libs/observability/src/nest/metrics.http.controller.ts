import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from './tokens';

@Controller()
export class MetricsHttpController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  metrics(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    // OpenMetrics, so histogram exemplars (trace ids) are exposed.
    reply.header('Content-Type', this.registry.contentType);
    return this.registry.metrics();
  }
}
