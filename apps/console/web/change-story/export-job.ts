/** The export API's job (apps/query/src/exports: `POST /v1/exports`, `GET /v1/exports/:id`) and how the page words it. */

export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ExportJob {
  id: string;
  status: ExportStatus;
  progress?: { phase: string; records: number; total?: number };
  error?: string;
  bytes?: number;
  manifestSha256?: string;
  links: { self: string; download: string };
}

export const isFinished = (job: Pick<ExportJob, 'status'>): boolean => job.status === 'succeeded' || job.status === 'failed';

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** One sentence for the live region: where the job is, with counts when the service gave them. */
export function exportProgressText(job: ExportJob): string {
  const p = job.progress;
  const counted = p ? `${p.records}${p.total !== undefined ? ` of ${p.total}` : ''} records` : '';
  switch (job.status) {
    case 'queued':
      return 'Export queued…';
    case 'running':
      return `Export running${p ? `: ${p.phase}, ${counted}` : '…'}`;
    case 'succeeded':
      // Done: the records in the bundle are what counts (a total, if any, was the work to go through).
      return `Export ready: ${p ? `${p.records} records` : 'done'}${job.bytes !== undefined ? `, ${formatBytes(job.bytes)}` : ''}.`;
    case 'failed':
      return `Export failed: ${job.error ?? 'the service gave no reason'}.`;
  }
}

/** `/v1/exports/<id>/download` → the console's proxy path; only the query service's own /v1 links are followed. */
export function proxiedLink(link: string): string | null {
  return /^\/v1\/exports\/[^/?#]+(\/download)?$/.test(link) ? `/api/query${link}` : null;
}

/** The file name from `Content-Disposition: attachment; filename="…"`, or a fallback naming the export. */
export function downloadName(contentDisposition: string | null, exportId: string): string {
  const m = contentDisposition ? /filename="([^"/\\]+)"/.exec(contentDisposition) : null;
  return m?.[1] ?? `audit-export-${exportId}.tar.gz`;
}
