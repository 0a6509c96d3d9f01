import { downloadName, exportProgressText, formatBytes, isFinished, proxiedLink, type ExportJob } from './export-job';

const links = { self: '/v1/exports/0192-a', download: '/v1/exports/0192-a/download' };

describe('export job wording', () => {
  it('says where the job is, with the counts the service gave', () => {
    expect(exportProgressText({ id: 'a', status: 'queued', links })).toBe('Export queued…');
    expect(exportProgressText({ id: 'a', status: 'running', progress: { phase: 'records', records: 40, total: 120 }, links })).toBe('Export running: records, 40 of 120 records');
    expect(exportProgressText({ id: 'a', status: 'running', progress: { phase: 'proof', records: 7 }, links })).toBe('Export running: proof, 7 records');
    expect(exportProgressText({ id: 'a', status: 'succeeded', progress: { phase: 'done', records: 6, total: 6 }, bytes: 2048, links })).toBe('Export ready: 6 records, 2.0 KiB.');
    expect(exportProgressText({ id: 'a', status: 'failed', error: 'checkpoint signature did not verify', links })).toBe('Export failed: checkpoint signature did not verify.');
    expect(exportProgressText({ id: 'a', status: 'failed', links } as ExportJob)).toBe('Export failed: the service gave no reason.');
  });

  it('knows when to stop polling', () => {
    expect(isFinished({ status: 'queued' })).toBe(false);
    expect(isFinished({ status: 'running' })).toBe(false);
    expect(isFinished({ status: 'succeeded' })).toBe(true);
    expect(isFinished({ status: 'failed' })).toBe(true);
  });

  it('follows only the query service’s own export links, through the console proxy', () => {
    expect(proxiedLink('/v1/exports/0192-a')).toBe('/api/query/v1/exports/0192-a');
    expect(proxiedLink('/v1/exports/0192-a/download')).toBe('/api/query/v1/exports/0192-a/download');
    expect(proxiedLink('https://elsewhere.example/v1/exports/x')).toBeNull();
    expect(proxiedLink('/v1/exports/../keys')).toBeNull();
    expect(proxiedLink('/v1/search?q=x')).toBeNull();
  });

  it('names the file as the service does, or after the export', () => {
    expect(downloadName('attachment; filename="audit-export-acme-0192-a.tar.gz"', '0192-a')).toBe('audit-export-acme-0192-a.tar.gz');
    expect(downloadName(null, '0192-a')).toBe('audit-export-0192-a.tar.gz');
    expect(downloadName('attachment; filename="../../etc/passwd"', '0192-a')).toBe('audit-export-0192-a.tar.gz');
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });
});
