/**
 * OCSF mapping of ledger records (events.ocsf.jsonl, `format: "ocsf"`). Pure: one ledger entry (the
 * canonical JSON as hashed, i.e. the accepted event plus `seq` and `recordedAt`) in, one OCSF 1.3.0 event
 * out, so the offline verifier recomputes the file from events.jsonl byte for byte. The mapping table is
 * in libs/export-bundle/README.md; what OCSF has no attribute for goes to `unmapped`.
 */
export const OCSF_VERSION = '1.3.0';

interface OcsfClass {
  uid: number;
  name: string;
  category: { uid: number; name: string };
}

const IAM = { uid: 3, name: 'Identity & Access Management' };
const APPLICATION = { uid: 6, name: 'Application Activity' };
const FINDINGS = { uid: 2, name: 'Findings' };

export const OCSF_CLASSES = {
  entityManagement: { uid: 3004, name: 'Entity Management', category: IAM },
  userAccess: { uid: 3005, name: 'User Access Management', category: IAM },
  applicationLifecycle: { uid: 6002, name: 'Application Lifecycle', category: APPLICATION },
  apiActivity: { uid: 6003, name: 'API Activity', category: APPLICATION },
  detectionFinding: { uid: 2004, name: 'Detection Finding', category: FINDINGS },
} as const satisfies Record<string, OcsfClass>;

type ClassKey = keyof typeof OCSF_CLASSES;
interface Activity {
  id: number;
  name: string;
}

const OTHER = (name: string): Activity => ({ id: 99, name });
const A = {
  create: { id: 1, name: 'Create' },
  read: { id: 2, name: 'Read' },
  update: { id: 3, name: 'Update' },
  delete: { id: 4, name: 'Delete' },
  appUpdate: { id: 8, name: 'Update' },
  assign: { id: 1, name: 'Assign Privileges' },
  revoke: { id: 2, name: 'Revoke Privileges' },
  findingCreate: { id: 1, name: 'Create' },
  findingUpdate: { id: 2, name: 'Update' },
  findingClose: { id: 3, name: 'Close' },
} as const;

/**
 * Event type → OCSF class and activity. Types a SIEM has no closer class for (approvals, gate and
 * policy decisions, break-glass, reviews) are Entity Management of the change with activity Other and
 * the ledger type as `activity_name`; `type` is always in `metadata.event_code` as well.
 */
export const OCSF_MAPPING: Record<string, { class: ClassKey; activity: Activity }> = {
  'change.requested': { class: 'entityManagement', activity: A.create },
  'change.cancelled': { class: 'entityManagement', activity: OTHER('Cancel') },
  'plan.created': { class: 'entityManagement', activity: A.update },
  'approval.granted': { class: 'entityManagement', activity: OTHER('Approve') },
  'approval.rejected': { class: 'entityManagement', activity: OTHER('Reject') },
  'approval.revoked': { class: 'entityManagement', activity: OTHER('Revoke Approval') },
  'policy.published': { class: 'entityManagement', activity: A.create },
  'policy.evaluated': { class: 'entityManagement', activity: OTHER('Evaluate Policy') },
  'gate.decided': { class: 'entityManagement', activity: OTHER('Gate Decision') },
  'breakglass.invoked': { class: 'entityManagement', activity: OTHER('Break Glass') },
  'breakglass.reviewed': { class: 'entityManagement', activity: OTHER('Review Break Glass') },
  'review.submitted': { class: 'entityManagement', activity: OTHER('Review') },
  'workflow.completed': { class: 'entityManagement', activity: OTHER('Complete Workflow') },
  'config.changed': { class: 'entityManagement', activity: A.update },
  'alert.rule.changed': { class: 'entityManagement', activity: A.update },
  'legal_hold.changed': { class: 'entityManagement', activity: A.update },
  'retention.applied': { class: 'entityManagement', activity: A.delete },
  'deployment.started': { class: 'applicationLifecycle', activity: A.appUpdate },
  'deployment.succeeded': { class: 'applicationLifecycle', activity: A.appUpdate },
  'deployment.failed': { class: 'applicationLifecycle', activity: A.appUpdate },
  'deployment.partially_failed': { class: 'applicationLifecycle', activity: A.appUpdate },
  'deployment.cancelled': { class: 'applicationLifecycle', activity: A.appUpdate },
  'access.granted': { class: 'userAccess', activity: A.assign },
  'access.revoked': { class: 'userAccess', activity: A.revoke },
  'k8s.request': { class: 'apiActivity', activity: OTHER('Request') },
  'audit.read': { class: 'apiActivity', activity: A.read },
  'export.created': { class: 'apiActivity', activity: A.read },
  'ledger.verified': { class: 'apiActivity', activity: A.read },
  'ledger.append_failed': { class: 'apiActivity', activity: OTHER('Append Failed') },
  'ledger.position_reset': { class: 'entityManagement', activity: A.update },
  'alert.fired': { class: 'detectionFinding', activity: A.findingCreate },
};

/** Kubernetes verbs → API Activity activities (anything else stays Other with the verb as name). */
const K8S_VERBS: Record<string, Activity> = {
  create: A.create,
  get: A.read,
  list: A.read,
  watch: A.read,
  update: A.update,
  patch: A.update,
  delete: A.delete,
  deletecollection: A.delete,
};

const ALERT_TRANSITIONS: Record<string, Activity> = { fired: A.findingCreate, refired: A.findingUpdate, acknowledged: A.findingUpdate, resolved: A.findingClose };
const SEVERITIES: Record<string, [number, string]> = {
  info: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
  critical: [5, 'Critical'],
};

/** Outcome → OCSF status (0 Unknown, 1 Success, 2 Failure). */
function status(outcome: unknown): { status_id: number; status: string } {
  if (outcome === 'succeeded' || outcome === 'allowed') return { status_id: 1, status: 'Success' };
  if (typeof outcome === 'string' && outcome !== 'unknown') return { status_id: 2, status: 'Failure' };
  return { status_id: 0, status: 'Unknown' };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** Drops undefined members so the JSON has no holes and stays deterministic. */
function compact<T extends Obj>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** One ledger entry as an OCSF event (a plain object; `JSON.stringify` of it is the file line). */
export function toOcsf(entry: Record<string, unknown>): Record<string, unknown> {
  const type = String(entry.type);
  const mapped = OCSF_MAPPING[type] ?? { class: 'entityManagement' as const, activity: OTHER(type) };
  const cls = OCSF_CLASSES[mapped.class];
  const details = obj(entry.details);
  const actor = obj(entry.actor);
  const resource = obj(entry.resource);
  const source = obj(entry.source);
  let activity: Activity = mapped.activity;
  if (type === 'k8s.request') {
    const verb = str(details.verb);
    activity = (verb ? K8S_VERBS[verb] : undefined) ?? OTHER(verb ?? 'Request');
  }
  if (type === 'alert.fired') activity = ALERT_TRANSITIONS[str(details.transition) ?? ''] ?? A.findingCreate;
  const [severityId, severity] = (type === 'alert.fired' && SEVERITIES[str(details.severity) ?? '']) || [1, 'Informational'];

  const actorType = actor.type === 'user' ? { type_id: 1, type: 'User' } : { type_id: 3, type: 'System' };
  const event: Obj = {
    class_uid: cls.uid,
    class_name: cls.name,
    category_uid: cls.category.uid,
    category_name: cls.category.name,
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: cls.uid * 100 + activity.id,
    type_name: `${cls.name}: ${activity.name}`,
    severity_id: severityId,
    severity,
    time: Date.parse(String(entry.occurredAt)),
    ...status(entry.outcome),
    message: `${type} ${String(resource.kind)}/${String(resource.id)}`,
    metadata: compact({
      version: OCSF_VERSION,
      product: { name: 'audit-ledger', vendor_name: 'audit-ledger' },
      uid: str(entry.id),
      event_code: type,
      sequence: typeof entry.seq === 'number' ? entry.seq : undefined,
      tenant_uid: str(entry.tenant),
      correlation_uid: str(entry.changeId),
      original_time: str(entry.occurredAt),
      logged_time: typeof entry.recordedAt === 'string' ? Date.parse(entry.recordedAt) : undefined,
      log_name: 'audit-ledger',
    }),
    actor: {
      user: compact({
        uid: str(actor.id),
        name: str(actor.displayName) ?? str(actor.id),
        ...actorType,
        groups: strings(actor.teams).map((name) => ({ name })),
      }),
      ...(str(source.system) ? { app_name: str(source.system) } : {}),
    },
  };
  const resourceDetails = compact({ uid: str(resource.id), name: str(resource.name) ?? str(resource.id), type: str(resource.kind), labels: [`environment:${String(resource.environment)}`] });
  switch (mapped.class) {
    case 'entityManagement': {
      const isChange = typeof entry.changeId === 'string' && (type.startsWith('change.') || type.startsWith('plan.') || type.startsWith('approval.') || type === 'gate.decided' || type.startsWith('breakglass.') || type === 'review.submitted');
      event.entity = isChange ? compact({ uid: str(entry.changeId), name: str(resource.id), type: 'change' }) : resourceDetails;
      break;
    }
    case 'applicationLifecycle':
      event.app = compact({ uid: str(resource.id), name: str(resource.name) ?? str(resource.id), version: str(obj(entry.artifact).digest) });
      break;
    case 'userAccess': {
      const access = obj(entry.access);
      event.user = compact({ uid: str(access.principal), name: str(access.principal) });
      event.privileges = str(access.role) ? [str(access.role)] : [];
      event.resource = compact({ ...resourceDetails, uid: str(access.scope) ?? resourceDetails.uid });
      break;
    }
    case 'apiActivity':
      event.api = compact({
        operation: type === 'k8s.request' ? (str(details.verb) ?? 'request') : type === 'audit.read' ? (str(details.endpoint) ?? type) : type,
        service: { name: type === 'k8s.request' ? 'kubernetes' : 'audit-ledger' },
      });
      event.src_endpoint = compact({ svc_name: str(source.system), ip: strings(details.sourceIPs)[0] });
      event.resources = [resourceDetails];
      break;
    case 'detectionFinding':
      event.finding_info = compact({ uid: str(resource.id), title: str(resource.name) ?? str(resource.id), desc: str(entry.reason), analytic: str(details.ruleId) ? { uid: str(details.ruleId), type_id: 1, type: 'Rule' } : undefined });
      break;
  }
  event.unmapped = compact({
    ledger: { seq: entry.seq, recordedAt: entry.recordedAt, eventId: entry.id },
    resource: entry.resource,
    artifact: entry.artifact,
    commit: entry.commit,
    source: entry.source,
    plan: entry.plan,
    access: entry.access,
    outcome: entry.outcome,
    reason: entry.reason,
    details: entry.details,
  });
  return event;
}

/** The events.ocsf.jsonl line of an entry. */
export function ocsfLine(entry: Record<string, unknown>): string {
  return `${JSON.stringify(toOcsf(entry))}\n`;
}
