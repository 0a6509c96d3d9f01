import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/**
 * The part of kustomize that deploy/k8s uses, so the manifests can be rendered and checked in `npm test`
 * on machines without kubectl: resources (files and directories), namespace, images, configMapGenerator
 * (literals, behavior create|merge, content-hash suffix and the references to it), and patches given as
 * JSON 6902 operations with a target. Anything else in a kustomization.yaml is an error here rather than
 * silently ignored; manifests.spec.ts compares the result with `kubectl kustomize` where kubectl exists.
 */

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  configMapGenerator?: { name: string; behavior?: 'create' | 'merge'; literals?: string[] }[];
  patches?: { target: { kind?: string; name?: string; labelSelector?: string }; patch: string }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'configMapGenerator', 'patches']);

interface Rendered {
  resources: Manifest[];
  /** Generated ConfigMaps by their name before the hash suffix, so overlays can merge into them. */
  generated: Map<string, Manifest>;
}

export function renderKustomization(dir: string): Manifest[] {
  const { resources, generated } = render(dir);
  // Names get their content hash once, at the end: overlays merge into a generator by its declared name,
  // and the hash must be of the final content (kustomize's result is the same).
  const renamed = new Map<string, string>();
  for (const [name, cm] of generated) {
    cm.metadata.name = `${name}-${configMapHash(cm.data as Record<string, string>)}`;
    renamed.set(name, cm.metadata.name);
  }
  for (const r of resources) renameConfigMapRefs(r, renamed);
  return [...generated.values(), ...resources];
}

function render(dir: string): Rendered {
  const kustomization = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization & Record<string, unknown>;
  const unsupported = Object.keys(kustomization).filter((k) => !SUPPORTED.has(k));
  if (unsupported.length > 0) throw new Error(`${dir}/kustomization.yaml: not supported by kustomize-subset: ${unsupported.join(', ')}`);

  const resources: Manifest[] = [];
  const generated = new Map<string, Manifest>();
  for (const entry of kustomization.resources ?? []) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const inner = render(path);
      resources.push(...inner.resources);
      for (const [name, cm] of inner.generated) generated.set(name, cm);
    } else {
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
        const value = doc.toJS() as Manifest | null;
        if (value) resources.push(value);
      }
    }
  }

  for (const gen of kustomization.configMapGenerator ?? []) {
    const data = Object.fromEntries((gen.literals ?? []).map(splitLiteral));
    const existing = generated.get(gen.name);
    if (gen.behavior === 'merge') {
      if (!existing) throw new Error(`configMapGenerator ${gen.name}: behavior merge but no base generates it`);
      existing.data = { ...(existing.data as Record<string, string>), ...data };
    } else {
      if (existing) throw new Error(`configMapGenerator ${gen.name}: generated twice (use behavior: merge)`);
      generated.set(gen.name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data });
    }
  }

  for (const { target, patch } of kustomization.patches ?? []) {
    const ops = parseYaml(patch) as JsonPatchOp[];
    if (!Array.isArray(ops)) throw new Error('only JSON 6902 patches (a list of operations) are supported');
    const matched = resources.filter((r) => matchesTarget(r, target));
    if (matched.length === 0) throw new Error(`patch target ${JSON.stringify(target)} matches nothing`);
    for (const r of matched) for (const op of ops) applyOp(r, op);
  }

  for (const image of kustomization.images ?? []) {
    for (const r of resources) for (const c of podContainers(r)) c.image = retag(c.image as string, image);
  }

  if (kustomization.namespace) {
    for (const r of [...resources, ...generated.values()]) r.metadata.namespace = kustomization.namespace;
  }

  return { resources, generated };
}

function splitLiteral(literal: string): [string, string] {
  const i = literal.indexOf('=');
  if (i <= 0) throw new Error(`configMapGenerator literal without KEY=: ${literal}`);
  return [literal.slice(0, i), literal.slice(i + 1)];
}

/**
 * kustomize's ConfigMap name suffix: SHA-256 of Go's json.Marshal of {data, kind, name} (keys sorted,
 * HTML characters escaped; kustomize 5 hashes before the name is set, so name is ""), first 10 hex
 * digits with 0,1,3,a,e mapped to g,h,k,m,t. Checked against `kubectl kustomize` in manifests.spec.ts.
 */
export function configMapHash(data: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k]]));
  const json = JSON.stringify({ data: sorted, kind: 'ConfigMap', name: '' }).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  const hex = createHash('sha256').update(json).digest('hex').slice(0, 10);
  const map: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex].map((c) => map[c] ?? c).join('');
}

function matchesTarget(r: Manifest, target: { kind?: string; name?: string; labelSelector?: string }): boolean {
  if (target.kind && r.kind !== target.kind) return false;
  if (target.name && r.metadata.name !== target.name) return false;
  if (target.labelSelector) {
    for (const term of target.labelSelector.split(',')) {
      const [key, value] = term.split('=').map((s) => s.trim());
      if (!key || value === undefined || term.includes('!')) throw new Error(`labelSelector: only key=value terms are supported: ${term}`);
      if (r.metadata.labels?.[key] !== value) return false;
    }
  }
  return true;
}

interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

function applyOp(doc: Manifest, { op, path, value }: JsonPatchOp): void {
  const tokens = path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = tokens.pop();
  if (last === undefined) throw new Error(`patch path ${path}: the whole document cannot be patched`);
  let parent: unknown = doc;
  for (const t of tokens) {
    parent = Array.isArray(parent) ? parent[Number(t)] : (parent as Record<string, unknown> | undefined)?.[t];
    if (parent === undefined || parent === null) throw new Error(`patch path ${path}: ${t} does not exist`);
  }
  const copy = structuredClone(value);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (op === 'add') parent.splice(index, 0, copy);
    else if (index >= parent.length) throw new Error(`patch path ${path}: no element ${index}`);
    else if (op === 'replace') parent[index] = copy;
    else parent.splice(index, 1);
  } else {
    const obj = parent as Record<string, unknown>;
    if (op !== 'add' && !(last in obj)) throw new Error(`patch path ${path}: ${op} of a missing member`);
    if (op === 'remove') delete obj[last];
    else obj[last] = copy;
  }
}

export function podSpec(r: Manifest): Record<string, unknown> | undefined {
  if (r.kind === 'Deployment' || r.kind === 'StatefulSet' || r.kind === 'Job') {
    return ((r.spec as Record<string, unknown>).template as Record<string, unknown>).spec as Record<string, unknown>;
  }
  return undefined;
}

export function podContainers(r: Manifest): Record<string, unknown>[] {
  const spec = podSpec(r);
  if (!spec) return [];
  return [...((spec.initContainers as Record<string, unknown>[]) ?? []), ...((spec.containers as Record<string, unknown>[]) ?? [])];
}

function retag(image: string, rule: { name: string; newName?: string; newTag?: string; digest?: string }): string {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  if (name !== rule.name) return image;
  const newName = rule.newName ?? name;
  if (rule.digest) return `${newName}@${rule.digest}`;
  if (rule.newTag) return `${newName}:${rule.newTag}`;
  return image.replace(name, newName);
}

function renameConfigMapRefs(r: Manifest, renamed: Map<string, string>): void {
  const spec = podSpec(r);
  if (!spec) return;
  const rename = (ref: { name?: string } | undefined) => {
    if (ref?.name && renamed.has(ref.name)) ref.name = renamed.get(ref.name);
  };
  for (const c of podContainers(r)) {
    for (const from of (c.envFrom as { configMapRef?: { name?: string } }[]) ?? []) rename(from.configMapRef);
    for (const e of (c.env as { valueFrom?: { configMapKeyRef?: { name?: string } } }[]) ?? []) rename(e.valueFrom?.configMapKeyRef);
  }
  for (const v of (spec.volumes as { configMap?: { name?: string } }[]) ?? []) rename(v.configMap);
}

export function kustomizationExists(dir: string): boolean {
  return existsSync(join(dir, 'kustomization.yaml'));
}
