import type { CliCommand } from '../command';
import { apikeyCommand } from './apikey.command';
import { emitCommand } from './emit.command';
import { exportCommand } from './export.command';
import { gateCommand } from './gate.command';
import { holdCommand } from './hold.command';
import { ledgerCommand } from './ledger.command';
import { policyCommand } from './policy.command';
import { retentionCommand } from './retention.command';
import { rulesCommand } from './rules.command';
import { verifyCommand } from './verify.command';
import { verifyExportCommand } from './verify-export.command';
import { webhookSecretCommand } from './webhook-secret.command';

/** Every `audit-ledger` command. Add a command: one file in this folder and one line here. */
export const COMMANDS: readonly CliCommand[] = [emitCommand, apikeyCommand, webhookSecretCommand, verifyCommand, gateCommand, policyCommand, exportCommand, verifyExportCommand, retentionCommand, holdCommand, rulesCommand, ledgerCommand];
