import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, apiGet, apiSend, describeError } from '../common/api';
import { hasRole, type Session } from '../common/session';
import { downloadName, exportProgressText, formatBytes, isFinished, proxiedLink, type ExportJob } from './export-job';

const POLL_MS = 1_000;

/**
 * The change's compliance export (`POST /v1/exports {change}`, auditor or above): queued, polled until it
 * succeeds or fails, then downloaded with the reader's token (a plain link could not carry it) and saved
 * under the name the service gives. Progress is announced in a live region.
 */
export function ExportChange({ session, changeId }: { session: Session; changeId: string }) {
  const allowed = hasRole(session, 'auditor');
  const [job, setJob] = useState<ExportJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [working, setWorking] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
      window.clearTimeout(timer.current);
    };
  }, []);

  const poll = useCallback(
    async (self: string) => {
      try {
        const next = await apiGet<ExportJob>('query', self, session.token);
        if (!alive.current) return;
        setJob(next);
        if (isFinished(next)) setWorking(false);
        else timer.current = window.setTimeout(() => void poll(self), POLL_MS);
      } catch (err) {
        if (!alive.current) return;
        setError(`Could not follow the export: ${describeError(err)}`);
        setWorking(false);
      }
    },
    [session.token],
  );

  const start = async () => {
    window.clearTimeout(timer.current);
    setError(null);
    setJob(null);
    setWorking(true);
    try {
      const created = await apiSend<ExportJob>('query', 'POST', '/v1/exports', session.token, { change: changeId });
      if (!proxiedLink(created.links.self)) throw new Error(`the service answered an unexpected link ${created.links.self}`);
      setJob(created);
      void poll(created.links.self);
    } catch (err) {
      setError(err instanceof ApiError ? `The query service refused the export: ${describeError(err)}` : `Could not start the export: ${describeError(err)}`);
      setWorking(false);
    }
  };

  const download = async () => {
    const url = job && proxiedLink(job.links.download);
    if (!job || !url) return;
    setError(null);
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${session.token}` } });
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
      const blob = await res.blob();
      const href = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = href;
      a.download = downloadName(res.headers.get('content-disposition'), job.id);
      document.body.append(a);
      a.click();
      a.remove();
      // Revoked after the click has handed the blob to the download.
      window.setTimeout(() => URL.revokeObjectURL(href), 10_000);
    } catch (err) {
      setError(`Could not download the export: ${describeError(err)}`);
    }
  };

  if (!allowed) {
    return (
      <div className="toolbar">
        {/* aria-disabled keeps the button focusable so keyboard users reach the explanation too. */}
        <button type="button" aria-disabled="true" aria-describedby="export-why" onClick={(e) => e.preventDefault()}>
          Export change
        </button>
        <span id="export-why" className="hint">
          Exports need the auditor role or above; you are signed in as {session.roles.join(', ') || 'no role'}.
        </span>
      </div>
    );
  }
  return (
    <>
      <div className="toolbar">
        <button type="button" onClick={() => void start()} disabled={working}>
          Export change
        </button>
        <span className="hint" role="status" aria-live="polite" data-testid="export-status" data-export-status={job?.status}>
          {job ? exportProgressText(job) : ''}
        </span>
        {job?.status === 'succeeded' && (
          <button type="button" className="secondary" onClick={() => void download()}>
            Download bundle{job.bytes !== undefined ? ` (${formatBytes(job.bytes)})` : ''}
          </button>
        )}
      </div>
      {job?.status === 'succeeded' && job.manifestSha256 && (
        <p className="hint">
          Manifest SHA-256 <code>{job.manifestSha256}</code> · check the bundle offline with <code>npx audit-ledger verify-export &lt;file&gt;</code>
        </p>
      )}
      {error && (
        <p role="alert" className="error" data-testid="export-error">
          {error}
        </p>
      )}
    </>
  );
}
