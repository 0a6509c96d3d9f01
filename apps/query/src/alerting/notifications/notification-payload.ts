import type { AlertMessageV2 } from '@audit/contracts';

export const CHANNEL_FORMATS = ['json', 'slack'] as const;
export type ChannelFormat = (typeof CHANNEL_FORMATS)[number];

/**
 * The webhook body. `json` is the alert message itself (the schema of `audit.alerts.v1` version 2);
 * `slack` is an incoming-webhook payload (`text` + Block Kit sections) that Slack and compatible
 * receivers (Mattermost, Rocket.Chat) render as is.
 */
export function notificationBody(format: ChannelFormat, alert: AlertMessageV2, summary: string): string {
  if (format === 'json') return JSON.stringify({ ...alert, summary });
  const verb = { fired: 'FIRING', refired: 'STILL FIRING', acknowledged: 'ACKNOWLEDGED', resolved: 'RESOLVED' }[alert.transition];
  const text = `[${verb}] ${alert.severity.toUpperCase()} ${alert.title}`;
  const evidence = [
    ...alert.links.changes.slice(0, 5).map((c) => `<${c.story}|change ${c.changeId}>`),
    ...alert.links.events.slice(0, 10).map((e) => `<${e.inclusionProof}|seq ${e.seq}>`),
  ].join(' · ');
  return JSON.stringify({
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(text)}*\n${escapeSlack(summary)}` } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `rule \`${escapeSlack(alert.ruleId)}\` v${alert.ruleVersion} · tenant \`${alert.tenant}\` · fired ${alert.fireCount}× · <${alert.links.alert}|alert ${alert.alertId}>` },
          ...(evidence ? [{ type: 'mrkdwn', text: evidence }] : []),
        ],
      },
    ],
  });
}

/** Slack's mrkdwn control characters. */
function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
