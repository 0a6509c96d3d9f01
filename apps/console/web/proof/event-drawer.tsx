import { useEffect, useRef, useState } from 'react';
import { ApiError, apiGet, describeError } from '../common/api';
import { hasRole, type Session } from '../common/session';
import { ledgerEntryOf, verifyEventInclusion, type InclusionProofResponse, type ProofVerdict, type PublishedKey, type SubtleLike } from './inclusion-proof.verify';

type ProofState = { state: 'loading' } | { state: 'pending'; detail: string } | { state: 'error'; detail: string } | { state: 'done'; verdict: ProofVerdict; proof: InclusionProofResponse };

const VERDICT_TEXT: Record<ProofVerdict['status'], string> = {
  verified: 'Proof verified',
  partial: 'Inclusion verified, content not re-hashed',
  failed: 'Verification FAILED',
};

/**
 * The full event and its inclusion proof, verified here in the browser: the latest signed checkpoint
 * and the audit path come from the ledger's public API, the keys from /v1/keys, and every hash and the
 * signature are checked with WebCrypto (inclusion-proof.verify.ts), not taken on the server's word.
 */
export function EventDrawer({ session, event, onClose }: { session: Session; event: Record<string, unknown> & { seq: number }; onClose: () => void }) {
  const [proof, setProof] = useState<ProofState>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    dialog.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  useEffect(() => {
    let live = true;
    setProof({ state: 'loading' });
    (async () => {
      try {
        const [keys, inclusion] = await Promise.all([
          apiGet<{ keys: PublishedKey[] }>('ledger', '/v1/keys', session.token),
          apiGet<InclusionProofResponse>('ledger', '/v1/proofs/inclusion', session.token, { seq: event.seq }),
        ]);
        // Viewers' events come without `details`, so their leaf hash cannot be recomputed here.
        const visible = hasRole(session, 'analyst');
        const verdict = await verifyEventInclusion(crypto.subtle as unknown as SubtleLike, {
          tenant: session.tenant,
          entry: visible ? ledgerEntryOf(event) : null,
          entryUnavailableReason: 'your role (viewer) does not see the event’s details, so its leaf hash is taken from the proof, not recomputed',
          proof: inclusion,
          keys: keys.keys,
        });
        if (live) setProof({ state: 'done', verdict, proof: inclusion });
      } catch (err) {
        if (!live) return;
        if (err instanceof ApiError && err.status === 404) setProof({ state: 'pending', detail: describeError(err) });
        else setProof({ state: 'error', detail: describeError(err) });
      }
    })();
    return () => {
      live = false;
    };
  }, [event, session, attempt]);

  return (
    <div className="backdrop" onClick={onClose}>
      <div className="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title" tabIndex={-1} ref={dialog} onClick={(e) => e.stopPropagation()}>
        <header>
          <h2 id="drawer-title">
            Event seq {event.seq} · {String(event.type)}
          </h2>
          <button type="button" onClick={onClose} aria-label="Close event">
            Close
          </button>
        </header>
        <section aria-labelledby="proof-title" className="proof" data-testid="proof">
          <h3 id="proof-title">Inclusion proof (verified in your browser)</h3>
          {proof.state === 'loading' && <p aria-live="polite">Fetching the latest signed checkpoint and the audit path…</p>}
          {proof.state === 'pending' && (
            <p>
              Not provable yet: {proof.detail}.{' '}
              <button type="button" onClick={() => setAttempt((a) => a + 1)}>
                Retry
              </button>
            </p>
          )}
          {proof.state === 'error' && (
            <p role="alert" className="error">
              Could not fetch the proof: {proof.detail}
            </p>
          )}
          {proof.state === 'done' && (
            <>
              <p className={`verdict ${proof.verdict.status}`} role="status" data-testid="proof-verdict" data-status={proof.verdict.status}>
                {VERDICT_TEXT[proof.verdict.status]}
              </p>
              <ul className="checks">
                {proof.verdict.checks.map((c) => (
                  <li key={c.name} className={c.ok === true ? 'ok' : c.ok === false ? 'bad' : 'unknown'}>
                    <span aria-hidden="true">{c.ok === true ? '✓' : c.ok === false ? '✗' : '–'}</span> <strong>{c.name}</strong>: {c.detail}
                  </li>
                ))}
              </ul>
              {proof.verdict.checkpoint && (
                <dl className="kv">
                  <dt>Checkpoint</dt>
                  <dd>
                    {proof.verdict.checkpoint.origin} · size {proof.verdict.checkpoint.size} · {proof.verdict.checkpoint.time}
                  </dd>
                  <dt>Root hash</dt>
                  <dd>
                    <code>{proof.verdict.checkpoint.rootHash}</code>
                  </dd>
                  <dt>Signed by</dt>
                  <dd>{proof.verdict.checkpoint.keyName ?? '—'}</dd>
                </dl>
              )}
            </>
          )}
        </section>
        <section aria-labelledby="event-title">
          <h3 id="event-title">Event</h3>
          <dl className="kv">
            <dt>Seq</dt>
            <dd data-testid="event-seq">{event.seq}</dd>
            <dt>Id</dt>
            <dd>
              <code>{String(event.id)}</code>
            </dd>
            <dt>Hash</dt>
            <dd>
              <code>{String(event.hash ?? '')}</code>
            </dd>
            <dt>Asserted by</dt>
            <dd data-testid="event-provenance">{assertedBy(event.provenance)}</dd>
          </dl>
          <pre className="json" tabIndex={0} aria-label="Full event JSON">
            {JSON.stringify(event, null, 2)}
          </pre>
        </section>
      </div>
    </div>
  );
}

/** Who asserted the event (its server-set provenance, part of the hashed record), in one line. */
export function assertedBy(provenance: unknown): string {
  if (typeof provenance !== 'object' || provenance === null) return 'not recorded (written before provenance existed: untrusted)';
  const p = provenance as Record<string, unknown>;
  const extra = [
    typeof p.auth === 'string' ? `auth ${p.auth}` : '',
    typeof p.via === 'string' ? `via ${p.via}` : '',
    Array.isArray(p.scopes) && p.scopes.length ? `scopes ${p.scopes.join(', ')}` : '',
    Array.isArray(p.roles) && p.roles.length ? `roles ${p.roles.join(', ')}` : '',
    Array.isArray(p.groups) && p.groups.length ? `groups ${p.groups.join(', ')}` : '',
  ].filter(Boolean);
  return `${String(p.kind)} ${String(p.id)}${extra.length ? ` (${extra.join(' · ')})` : ''}`;
}
