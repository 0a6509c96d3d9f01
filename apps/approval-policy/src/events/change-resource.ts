import type { AcceptedEvent } from '@audit/contracts';
import type { ChangeEvent } from '@audit/change-lifecycle';

/** The resource a change is about (from its request), so the service's own events about it sit with it. */
export function changeResource(events: readonly ChangeEvent[], changeId: string, environment: string): AcceptedEvent['resource'] {
  const request = events.find((e) => e.event.type === 'change.requested');
  return request ? { ...request.event.resource } : { kind: 'change', id: changeId, environment };
}
