import { ExportRunner } from './export.runner';
import { ExportsHttpController } from './exports.http.controller';

/** Composition of the export jobs feature (spread into AppModule). */
export const EXPORT_PROVIDERS = [ExportRunner];
export const EXPORT_CONTROLLERS = [ExportsHttpController];
