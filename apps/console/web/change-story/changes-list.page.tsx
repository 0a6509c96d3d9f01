import { useEffect, useState } from 'react';
import { apiGet, describeError } from '../common/api';
import { hasRole, type Session } from '../common/session';

interface ChangeRow {
  changeId: string;
  status: string;
  environment: string | null;
  resource: { kind: string | null; id: string | null };
  requester: string | null;
  updatedAt: string;
  eventCount: number;
  verdicts: { approvedForPlanThatRan: string | null; artifactMatch: string | null; separationOfDuties: string | null; policyVersion: string | null; outcome: string | null };
}

/** `GET /v1/changes`: newest first, with the verdict columns; the story needs analyst. */
export function ChangesListPage({ session }: { session: Session }) {
  const [rows, setRows] = useState<ChangeRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiGet<{ changes: ChangeRow[] }>('query', '/v1/changes', session.token, { limit: 100 })
      .then((r) => setRows(r.changes))
      .catch((err: unknown) => setError(describeError(err)));
  }, [session.token]);
  const canOpen = hasRole(session, 'analyst');
  return (
    <section aria-labelledby="changes-title">
      <h1 id="changes-title" tabIndex={-1}>
        Changes
      </h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {rows && rows.length === 0 && <p>No changes in tenant {session.tenant} yet.</p>}
      {rows && rows.length > 0 && (
        <table className="events" aria-label="Changes">
          <thead>
            <tr>
              <th scope="col">Change</th>
              <th scope="col">Status</th>
              <th scope="col">Env</th>
              <th scope="col">Resource</th>
              <th scope="col">Requester</th>
              <th scope="col">Approved plan ran</th>
              <th scope="col">Artifact match</th>
              <th scope="col">SoD</th>
              <th scope="col">Updated (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.changeId}>
                <td>{canOpen ? <a href={`#/changes/${encodeURIComponent(c.changeId)}`}>{c.changeId}</a> : c.changeId}</td>
                <td>{c.status}</td>
                <td>{c.environment}</td>
                <td>
                  {c.resource.kind}/{c.resource.id}
                </td>
                <td>{c.requester}</td>
                <td className={`v ${c.verdicts.approvedForPlanThatRan ?? ''}`}>{c.verdicts.approvedForPlanThatRan}</td>
                <td className={`v ${c.verdicts.artifactMatch ?? ''}`}>{c.verdicts.artifactMatch}</td>
                <td className={`v ${c.verdicts.separationOfDuties ?? ''}`}>{c.verdicts.separationOfDuties}</td>
                <td>{c.updatedAt.replace('T', ' ').slice(0, 19)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
