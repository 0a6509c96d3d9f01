import { useCallback, useEffect, useState } from 'react';
import { parseCheckpointNote, verifyNoteSignature, type PublishedKey, type SubtleLike } from '../proof/inclusion-proof.verify';
import { apiGet, describeError } from '../common/api';
import type { Session } from '../common/session';

interface Checkpoint {
  tenant: string;
  size: number;
  rootHash: string;
  signedAt: string;
  note: string;
}

interface ProjectionStatus {
  tenant: string;
  postgres: { lastSeq: number; checksum: { sha256: string; rows: number } };
  opensearch: { lastSeq: number; checksum: { sha256: string; rows: number } };
}

/** `GET /v1/verification` of the ledger: its continuous verifier's last pass over the tenant's log. */
interface Verification {
  status: 'ok' | 'failed';
  mode: 'incremental' | 'full';
  verifiedSize: number;
  checkpointedSize: number;
  rootHash: string;
  checkedAt: string;
  lastFullAt: string | null;
  failure: { seq: number; problem: string; detail: string; reason: string } | null;
}

interface Status {
  checkpoint: Checkpoint | null;
  signature: { ok: boolean; detail: string } | null;
  keys: PublishedKey[];
  projections: ProjectionStatus;
  lastVerification: Verification | null;
  at: string;
}

const orNullOn404 = (err: unknown) => {
  if (err instanceof Error && 'status' in err && (err as { status: number }).status === 404) return null;
  throw err;
};

/**
 * The tenant's ledger as the public APIs show it: the latest signed checkpoint (its signature checked
 * here), the signing keys, each projection's position against the checkpoint, and the ledger's own
 * continuous verification (its last pass, and the first bad seq when it failed).
 */
export function LedgerStatusPage({ session }: { session: Session }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const [checkpoint, keys, projections, verified] = await Promise.all([
        apiGet<Checkpoint>('ledger', '/v1/checkpoints', session.token).catch(orNullOn404),
        apiGet<{ keys: PublishedKey[] }>('ledger', '/v1/keys', session.token),
        apiGet<ProjectionStatus>('query', '/v1/projections/status', session.token),
        apiGet<Verification>('ledger', '/v1/verification', session.token).catch(orNullOn404),
      ]);
      let signature = null;
      if (checkpoint) {
        const note = parseCheckpointNote(checkpoint.note);
        signature = typeof note === 'string' ? { ok: false, detail: note } : await verifyNoteSignature(crypto.subtle as unknown as SubtleLike, note, keys.keys);
      }
      setStatus({ checkpoint, signature, keys: keys.keys, projections, lastVerification: verified, at: new Date().toISOString() });
    } catch (err) {
      setError(describeError(err));
    }
  }, [session.token]);

  useEffect(() => {
    void load();
  }, [load]);

  const size = status?.checkpoint?.size ?? 0;
  return (
    <section aria-labelledby="ledger-title">
      <h1 id="ledger-title" tabIndex={-1}>
        Ledger status
      </h1>
      <button type="button" onClick={() => void load()}>
        Refresh
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {status && (
        <div className="cards">
          <section className="card" aria-labelledby="cp-title" data-testid="checkpoint">
            <h2 id="cp-title">Latest signed checkpoint</h2>
            {status.checkpoint ? (
              <dl className="kv">
                <dt>Tree size</dt>
                <dd data-testid="checkpoint-size">{status.checkpoint.size}</dd>
                <dt>Root hash</dt>
                <dd>
                  <code>{status.checkpoint.rootHash}</code>
                </dd>
                <dt>Signed at</dt>
                <dd>{status.checkpoint.signedAt}</dd>
                <dt>Signature</dt>
                <dd className={status.signature?.ok ? 'ok' : 'bad'} data-testid="checkpoint-signature">
                  {status.signature?.ok ? '✓ ' : '✗ '}
                  {status.signature?.detail} (checked in your browser)
                </dd>
              </dl>
            ) : (
              <p>No checkpoint yet for tenant {session.tenant}.</p>
            )}
          </section>
          <section className="card" aria-labelledby="proj-title">
            <h2 id="proj-title">Projections</h2>
            <table className="events">
              <thead>
                <tr>
                  <th scope="col">Projection</th>
                  <th scope="col">Last seq</th>
                  <th scope="col">Behind checkpoint</th>
                  <th scope="col">Checksum (rows)</th>
                </tr>
              </thead>
              <tbody>
                {(['postgres', 'opensearch'] as const).map((p) => (
                  <tr key={p} data-testid={`projection-${p}`}>
                    <th scope="row">{p}</th>
                    <td>{status.projections[p].lastSeq}</td>
                    <td>{Math.max(0, size - status.projections[p].lastSeq)}</td>
                    <td>
                      <code>{status.projections[p].checksum.sha256.slice(0, 16)}…</code> ({status.projections[p].checksum.rows})
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="hint">“Behind” compares with the latest checkpoint's size; records committed since that checkpoint are not counted.</p>
          </section>
          <section className="card" aria-labelledby="verify-title">
            <h2 id="verify-title">Last verification</h2>
            {status.lastVerification ? (
              <dl className="kv" data-testid="verification">
                <dt>Result</dt>
                <dd className={status.lastVerification.status === 'ok' ? 'ok' : 'bad'} data-testid="verification-status">
                  {status.lastVerification.status === 'ok' ? '✓ verified' : `✗ failed: ${status.lastVerification.failure?.reason ?? ''}`}
                </dd>
                <dt>Verified size</dt>
                <dd>{status.lastVerification.verifiedSize}</dd>
                <dt>Root hash</dt>
                <dd>
                  <code>{status.lastVerification.rootHash}</code>
                </dd>
                <dt>Last pass</dt>
                <dd>
                  {status.lastVerification.checkedAt} ({status.lastVerification.mode})
                </dd>
                <dt>Last full pass</dt>
                <dd>{status.lastVerification.lastFullAt ?? 'none yet'}</dd>
              </dl>
            ) : (
              <p>The ledger has not verified this tenant's log yet. Verify offline with <code>npx audit-ledger verify --tenant {session.tenant} --vkey &lt;vkey&gt;</code>.</p>
            )}
            <h2>Signing keys</h2>
            <ul>
              {status.keys.map((k) => (
                <li key={k.vkey}>
                  <code>{k.vkey}</code>
                </li>
              ))}
            </ul>
          </section>
        </div>
      )}
    </section>
  );
}
