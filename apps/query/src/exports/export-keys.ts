import { parseVerifierKey, type VerifierKey } from '@audit/ledger-core';

export interface ExportKeys {
  trustedKeys: VerifierKey[];
  publicKeyPems: string[];
  source: 'operator' | 'ledger-service';
}

/**
 * The keys an export's checkpoint must verify with. Configured keys (EXPORT_TRUSTED_KEYS) are the honest
 * option: they come from the operator, not from the ledger being exported. Without them the keys are
 * fetched from the ledger service's GET /v1/keys — then the check only shows that the checkpoint matches
 * what that server publishes, and the bundle says so (`keySource: "ledger-service"`). Either way the
 * recipient verifies with a key of their own.
 */
export async function resolveExportKeys(configured: readonly string[], ledgerUrl: string, fetchImpl: typeof fetch = fetch): Promise<ExportKeys> {
  if (configured.length > 0) return { trustedKeys: configured.map((k) => parseVerifierKey(k)), publicKeyPems: [], source: 'operator' };
  const url = `${ledgerUrl.replace(/\/+$/, '')}/v1/keys`;
  let body: unknown;
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.json();
  } catch (error) {
    throw new Error(`could not fetch the ledger's keys from ${url} (${(error as Error).message}); configure EXPORT_TRUSTED_KEYS`);
  }
  const { keys, publicKeyPem } = (body ?? {}) as { keys?: { vkey?: unknown }[]; publicKeyPem?: unknown };
  const vkeys = (keys ?? []).map((k) => k.vkey).filter((v): v is string => typeof v === 'string');
  if (vkeys.length === 0) throw new Error(`${url} returned no verifier keys`);
  return { trustedKeys: vkeys.map((k) => parseVerifierKey(k)), publicKeyPems: typeof publicKeyPem === 'string' ? [publicKeyPem] : [], source: 'ledger-service' };
}
