import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tenantId } from '@audit/contracts';
import type { Logger } from '@audit/observability';
import { InjectLogger } from '@audit/service-shell';
import { Problems } from '../../http/problem';
import { sendProblem } from '../../http/reply';
import { requestFingerprint } from '../../idempotency/idempotency.decision';
import { WebhookSecretRepository } from '../../webhook-secrets/webhook-secret.repository';
import { AdapterAcceptor } from '../adapter-acceptor';
import { githubAssertionKey } from './github-assertion-key';
import { verifyGithubSignature } from './github-signature';
import { mapGithubWebhook } from './github-webhook.mapper';

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * `POST /v1/webhooks/github/:tenant`. GitHub cannot send our API key: the tenant's webhook secret
 * authenticates the delivery (X-Hub-Signature-256 over the raw bytes). The idempotency key is what the
 * delivery asserts (githubAssertionKey), so neither GitHub's redeliveries nor a signed payload replayed
 * under a new X-GitHub-Delivery is recorded twice: a repeat answers 200 with `duplicate: true`.
 */
@Controller('v1/webhooks/github')
export class GithubWebhookHttpController {
  constructor(
    private readonly secrets: WebhookSecretRepository,
    private readonly acceptor: AdapterAcceptor,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  @Post(':tenant')
  async receive(@Param('tenant') tenant: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!tenantId.safeParse(tenant).success) return sendProblem(reply, Problems.notFound('no such webhook'));
    const raw = request.rawBody ?? Buffer.alloc(0);
    let secret: string | undefined;
    try {
      secret = await this.secrets.find(tenant, 'github');
    } catch (error) {
      this.logger.error({ err: error, tenant }, 'webhook secret store unavailable');
      return sendProblem(reply, Problems.unavailable('the credential store is unavailable', 5));
    }
    // Same answer for "no secret configured" and "wrong signature": the URL reveals nothing.
    if (secret === undefined || !verifyGithubSignature(secret, raw, header(request.headers['x-hub-signature-256']))) {
      this.logger.warn({ tenant, delivery: header(request.headers['x-github-delivery']) }, 'GitHub webhook signature refused');
      return sendProblem(reply, Problems.badSignature('X-Hub-Signature-256 is missing or does not match the body'));
    }
    const event = header(request.headers['x-github-event']);
    const delivery = header(request.headers['x-github-delivery']);
    if (!event || !/^[a-z_]{1,64}$/.test(event)) return sendProblem(reply, Problems.badParameter([{ path: 'header:X-GitHub-Event', message: 'is required' }]));
    if (!delivery || !/^[A-Za-z0-9-]{1,128}$/.test(delivery)) return sendProblem(reply, Problems.badParameter([{ path: 'header:X-GitHub-Delivery', message: 'is required' }]));
    const assertion = githubAssertionKey(event, request.body, delivery);
    await this.acceptor.accept(reply, mapGithubWebhook(event, request.body), {
      tenant,
      via: 'github',
      provenance: { kind: 'webhook', id: `github:${delivery}`, auth: 'hmac-sha256', scopes: [], via: 'github', delivery },
      idempotency: { key: assertion.key, requestSha256: requestFingerprint('github', [event, raw]) },
      duplicateWhenSeen: assertion.byContent,
    });
  }
}
