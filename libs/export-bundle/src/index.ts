export { BUNDLE_FILES, BUNDLE_FORMAT, BundleManifest, CSV_COLUMNS, ExportRequest, csvRow } from './bundle-format';
export { BundleWriter } from './bundle-writer';
export type { BundleMeta, BundleProgress, BundleRecord } from './bundle-writer';
export { packBundle, unpackBundle, verifyBundle } from './bundle-verifier';
export type { BundleProblem, BundleVerdict, VerifyBundleOptions } from './bundle-verifier';
export type { ChangeEntry } from './changes';
export { MultiProofError, buildMultiProof, verifyMultiProof } from './multiproof';
export type { ProofNode } from './multiproof';
export { OCSF_CLASSES, OCSF_MAPPING, OCSF_VERSION, ocsfLine, toOcsf } from './ocsf';
