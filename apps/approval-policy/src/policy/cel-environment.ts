import { Environment } from '@marcbachmann/cel-js';

/**
 * The CEL activation every rule condition sees (documented in the README). Counts are CEL `int`, lists
 * are `list<string>`, times are in the policy's time zone. The environment is built once: building one
 * is expensive.
 */
export const CEL_SCHEMA = {
  change: { id: 'string', environment: 'string', resourceKinds: 'list<string>', resourceIds: 'list<string>' },
  plan: {
    present: 'bool',
    adds: 'int',
    changes: 'int',
    destroys: 'int',
    replacements: 'int',
    iamChanges: 'int',
    securityGroupChanges: 'int',
    drift: 'int',
    resourceTypes: 'list<string>',
  },
  requester: { id: 'string', roles: 'list<string>', teams: 'list<string>' },
  now: { hour: 'int', weekday: 'int', minute: 'int' },
} as const;

export interface CelActivation {
  change: { id: string; environment: string; resourceKinds: string[]; resourceIds: string[] };
  plan: {
    present: boolean;
    adds: number;
    changes: number;
    destroys: number;
    replacements: number;
    iamChanges: number;
    securityGroupChanges: number;
    drift: number;
    resourceTypes: string[];
  };
  requester: { id: string; roles: string[]; teams: string[] };
  now: { hour: number; weekday: number; minute: number };
}

let environment: Environment | undefined;

export function celEnvironment(): Environment {
  if (!environment) {
    const env = new Environment({ limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 } });
    for (const [name, schema] of Object.entries(CEL_SCHEMA)) env.registerVariable({ name, schema });
    environment = env;
  }
  return environment;
}

const INT_FIELDS = ['adds', 'changes', 'destroys', 'replacements', 'iamChanges', 'securityGroupChanges', 'drift'] as const;

/** CEL ints are BigInts: convert the numeric fields so `plan.destroys > 0` compares int with int. */
export function toCelContext(a: CelActivation): Record<string, unknown> {
  const plan: Record<string, unknown> = { present: a.plan.present, resourceTypes: a.plan.resourceTypes };
  for (const f of INT_FIELDS) plan[f] = BigInt(a.plan[f]);
  return {
    change: a.change,
    plan,
    requester: a.requester,
    now: { hour: BigInt(a.now.hour), weekday: BigInt(a.now.weekday), minute: BigInt(a.now.minute) },
  };
}
