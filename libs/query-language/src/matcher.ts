import type { AcceptedEvent } from '@audit/contracts';
import { SEARCH_FIELDS, type QueryNode, type SearchField, type SearchFieldName } from './ast';

/**
 * Evaluates a parsed query-language filter against one event in memory, with the meaning the OpenSearch
 * translation (`query-language.dsl.ts`) gives it: keyword fields match exactly, `*` is the only
 * wildcard, `after` is inclusive and `before` exclusive on `occurredAt`, and free text is an AND of
 * words (or a phrase) over `reason`, `resource.name` and `actor.displayName`, lower-cased and split on
 * non-alphanumerics as OpenSearch's standard analyzer does for plain words.
 */
export function matchesEvent(node: QueryNode | null, event: AcceptedEvent): boolean {
  if (node === null) return true;
  switch (node.kind) {
    case 'and':
      return node.children.every((c) => matchesEvent(c, event));
    case 'or':
      return node.children.some((c) => matchesEvent(c, event));
    case 'not':
      return !matchesEvent(node.child, event);
    case 'term':
      return documentValues(event, node.field).includes(node.value);
    case 'wildcard': {
      const pattern = wildcardRegExp(node.pattern);
      return documentValues(event, node.field).some((v) => pattern.test(v));
    }
    case 'range': {
      const at = Date.parse(event.occurredAt);
      const bound = Date.parse(node.at);
      return node.bound === 'after' ? at >= bound : at < bound;
    }
    case 'text': {
      const words = tokens(node.text);
      if (words.length === 0) return true;
      const fields = [event.reason, event.resource.name, event.actor.displayName].filter((f): f is string => !!f).map(tokens);
      if (node.phrase) return fields.some((f) => containsSequence(f, words));
      const all = new Set(fields.flat());
      return words.every((w) => all.has(w));
    }
  }
}

/** The values an event holds for a document field (arrays for roles/teams; empty when absent). */
export function documentValues(event: AcceptedEvent, field: SearchField): string[] {
  const value = ((): string | string[] | undefined => {
    switch (field) {
      case 'actor.id':
        return event.actor.id;
      case 'type':
        return event.type;
      case 'resource.environment':
        return event.resource.environment;
      case 'resource.id':
        return event.resource.id;
      case 'resource.kind':
        return event.resource.kind;
      case 'outcome':
        return event.outcome;
      case 'changeId':
        return event.changeId;
      case 'artifact.digest':
        return event.artifact?.digest;
      case 'actor.teams':
        return event.actor.teams;
      case 'actor.roles':
        return event.actor.roles;
      case 'source.system':
        return event.source?.system;
      case 'id':
        return event.id;
      case 'provenance.kind':
        return event.provenance?.kind;
      case 'provenance.id':
        return event.provenance?.id;
    }
  })();
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A rule field (`actor`, `env`, …) of an event as one group key: multi-valued fields join sorted values. */
export function fieldValue(event: AcceptedEvent, field: SearchFieldName): string | null {
  const values = documentValues(event, SEARCH_FIELDS[field]);
  if (values.length === 0) return null;
  return [...values].sort().join(',');
}

function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function containsSequence(haystack: string[], needle: string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
