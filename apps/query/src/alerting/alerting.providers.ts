import { AlertingAccess } from './alerting-access';
import { AlertingRuntime } from './alerting.runtime';
import { ManageAlertsHandler } from './alerts/manage-alerts/manage-alerts.handler';
import { ManageAlertsHttpController } from './alerts/manage-alerts/manage-alerts.http.controller';
import { ManageChannelsHandler } from './notifications/manage-channels/manage-channels.handler';
import { ManageChannelsHttpController } from './notifications/manage-channels/manage-channels.http.controller';
import { ManageRulesHandler } from './rules/manage-rules/manage-rules.handler';
import { ManageRulesHttpController } from './rules/manage-rules/manage-rules.http.controller';

/** What app.module.ts wires for alerting (it already provides the pool, Kafka, OpenSearch, clock and JWT verifier). */
export const ALERTING_PROVIDERS = [AlertingAccess, AlertingRuntime, ManageRulesHandler, ManageChannelsHandler, ManageAlertsHandler];
export const ALERTING_CONTROLLERS = [ManageRulesHttpController, ManageChannelsHttpController, ManageAlertsHttpController];
