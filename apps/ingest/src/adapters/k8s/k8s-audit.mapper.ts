import { z } from 'zod';
import { toFieldIssues, type AuditEventInput } from '@audit/contracts';
import { toSlug, type AdapterResult } from '../adapter.common';

// audit.k8s.io/v1 Event, and the older shapes seen in the wild (no apiVersion on items, `timestamp`).
// requestObject/responseObject are never copied: they can hold Secret and ConfigMap data. The one thing
// read from a requestObject is the roleRef/subjects of a (Cluster)RoleBinding being created.
const AuditEvent = z.looseObject({
  kind: z.literal('Event').optional(),
  apiVersion: z.enum(['audit.k8s.io/v1', 'audit.k8s.io/v1beta1']).optional(),
  auditID: z.string().min(1).max(128),
  stage: z.string(),
  verb: z.string().min(1),
  requestURI: z.string().optional(),
  user: z.looseObject({ username: z.string().min(1).max(256).optional(), groups: z.array(z.string()).optional() }),
  impersonatedUser: z.looseObject({ username: z.string().optional() }).optional(),
  sourceIPs: z.array(z.string()).optional(),
  userAgent: z.string().optional(),
  objectRef: z
    .looseObject({ resource: z.string().optional(), namespace: z.string().optional(), name: z.string().optional(), apiGroup: z.string().optional(), apiVersion: z.string().optional(), subresource: z.string().optional() })
    .optional(),
  responseStatus: z.looseObject({ code: z.number().int().optional() }).optional(),
  requestObject: z.unknown().optional(),
  requestReceivedTimestamp: z.string().optional(),
  stageTimestamp: z.string().optional(),
  timestamp: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const EventList = z.looseObject({
  apiVersion: z.literal('audit.k8s.io/v1'),
  kind: z.literal('EventList'),
  items: z.array(z.unknown()).max(5000),
});

const RoleBinding = z.looseObject({
  roleRef: z.looseObject({ kind: z.string(), name: z.string().min(1) }),
  subjects: z.array(z.looseObject({ kind: z.string(), name: z.string().min(1), namespace: z.string().optional() })).default([]),
});

/** Only finished requests are recorded: earlier stages of the same request would duplicate them. */
const FINAL_STAGES = new Set(['ResponseComplete', 'Panic']);

export function mapK8sAuditEventList(document: unknown, context: { environment: string }): AdapterResult {
  const list = EventList.safeParse(document);
  if (!list.success) return { ok: false, issues: toFieldIssues(list.error) };
  const events: AuditEventInput[] = [];
  const issues: { index: number; path: string; message: string }[] = [];
  list.data.items.forEach((item, index) => {
    const parsed = AuditEvent.safeParse(item);
    if (!parsed.success) {
      for (const i of toFieldIssues(parsed.error)) issues.push({ index, path: `items.${index}${i.path ? `.${i.path}` : ''}`, message: i.message });
      return;
    }
    const e = parsed.data;
    if (!FINAL_STAGES.has(e.stage)) return;
    const occurredAt = e.stageTimestamp ?? e.requestReceivedTimestamp ?? e.timestamp;
    if (!occurredAt) {
      issues.push({ index, path: `items.${index}.stageTimestamp`, message: 'a timestamp is required' });
      return;
    }
    const ref = e.objectRef ?? {};
    const username = e.user.username ?? 'system:anonymous';
    const code = e.responseStatus?.code;
    const actor = { id: username, type: username.startsWith('system:') ? ('service' as const) : ('user' as const) };
    const resourceName = ref.resource ? `k8s.${toSlug(ref.resource, 100)}` : 'k8s.nonresource';
    const resource = {
      kind: resourceName,
      id: [ref.namespace, ref.name].filter(Boolean).join('/') || (e.requestURI ?? '/').slice(0, 512),
      environment: toSlug(context.environment),
    };
    const outcome = code === undefined ? 'unknown' : code < 400 ? 'succeeded' : code === 401 || code === 403 ? 'denied' : 'failed';
    events.push({
      type: 'k8s.request',
      occurredAt,
      actor,
      resource,
      outcome,
      source: { system: 'kubernetes', runId: e.auditID },
      details: {
        verb: e.verb,
        resource: ref.resource ?? null,
        subresource: ref.subresource ?? null,
        apiGroup: ref.apiGroup ?? null,
        namespace: ref.namespace ?? null,
        name: ref.name ?? null,
        user: { username, groups: (e.user.groups ?? []).slice(0, 64) },
        impersonatedUser: e.impersonatedUser?.username ?? null,
        responseCode: code ?? null,
        auditID: e.auditID,
        sourceIPs: (e.sourceIPs ?? []).slice(0, 16),
        userAgent: e.userAgent?.slice(0, 512) ?? null,
        decision: e.annotations?.['authorization.k8s.io/decision'] ?? null,
      },
    });
    const isBinding = ref.resource === 'rolebindings' || ref.resource === 'clusterrolebindings';
    if (isBinding && e.verb === 'create' && code !== undefined && code < 300) {
      const binding = RoleBinding.safeParse(e.requestObject);
      if (binding.success) {
        for (const subject of binding.data.subjects) {
          events.push({
            type: 'access.granted',
            occurredAt,
            actor,
            resource,
            source: { system: 'kubernetes', runId: e.auditID },
            access: {
              principal: `${subject.kind}:${subject.namespace ? `${subject.namespace}/` : ''}${subject.name}`.slice(0, 256),
              role: toSlug(`${binding.data.roleRef.kind.toLowerCase()}/${binding.data.roleRef.name}`, 128),
              scope: ref.namespace ? `namespace:${ref.namespace}` : 'cluster',
            },
            details: { binding: ref.name ?? null, roleRef: { kind: binding.data.roleRef.kind, name: binding.data.roleRef.name } },
          });
        }
      }
    }
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, events };
}
