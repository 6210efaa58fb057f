import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import type { Sandbox } from '@internal/vastai-sandbox';
import type { Knex } from 'knex';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { HttpClient } from '../upstream';
import { readIncidentsConfig } from '../incidents/commsConfig';
import { IncidentService } from '../incidents/service';
import { IncidentStore } from '../incidents/store';

/** The entity and integration whose Slack and status page are the sandbox's receivers. */
export const COMMS_ENTITY = 'component:default/vastai-integration';
export const COMMS_INTEGRATION = 'vastai-integration';

/**
 * An incident service on `knex` whose integration sends to the sandbox's Slack and Statuspage
 * receivers. `statuspage` adds to (or overrides) the integration's status-page config. With a
 * `pagerdutyRoutingKey`, the integration pages through the sandbox's PagerDuty receiver; `http`
 * and `logger` replace the service's outbound client and logger.
 */
export async function incidentCommsOnSandbox(
  knex: Knex,
  sandbox: Sandbox,
  options: {
    statuspageApiKey?: string;
    operatorApiKey?: string;
    statuspage?: JsonObject;
    pagerdutyRoutingKey?: string;
    http?: HttpClient;
    logger?: LoggerService;
    appBaseUrl?: string;
  } = {},
) {
  const store = await IncidentStore.create({
    database: { getClient: async () => knex },
  });
  const webhookUrl = `${sandbox.urls.receivers}/slack/webhook/T0-hook-secret`;
  const config = readIncidentsConfig(
    new ConfigReader({
      vastaiIncident: {
        vendor: { operatorApiKey: options.operatorApiKey ?? 'operator-key' },
        integrations: {
          [COMMS_INTEGRATION]: {
            slack: { webhookUrl },
            statuspage: {
              apiBaseUrl: `${sandbox.urls.receivers}/statuspage/v1`,
              pageId: 'page1',
              apiKey: options.statuspageApiKey ?? 'statuspage-key',
              componentId: 'comp1',
              ...options.statuspage,
            },
            ...(options.pagerdutyRoutingKey
              ? {
                  pagerduty: {
                    eventsUrl: sandbox.urls.pagerduty,
                    routingKey: options.pagerdutyRoutingKey,
                  },
                }
              : {}),
          },
        },
      },
    }),
  );
  const notifications = { send: jest.fn(async () => undefined) };
  const service = new IncidentService({
    store,
    logger: options.logger ?? mockServices.logger.mock(),
    config,
    sendTimeoutMs: 2000,
    notifications,
    http: options.http,
    appBaseUrl: options.appBaseUrl,
  });
  return { store, service, webhookUrl, notifications };
}
