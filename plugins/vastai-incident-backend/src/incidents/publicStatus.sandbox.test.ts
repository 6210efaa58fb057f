import { TestDatabases } from '@backstage/backend-test-utils';
import type { TestDatabaseId } from '@backstage/backend-test-utils';
import { startSandbox, Sandbox } from '@internal/vastai-sandbox';
import type { JsonObject } from '@backstage/types';
import type { KubernetesValue } from '@vastai-incident/backstage-plugin-common';
import {
  COMMS_ENTITY,
  COMMS_INTEGRATION,
  incidentCommsOnSandbox,
} from '../testing/incidentComms';
import { SCENARIO_SIGNALS } from '../testing/testSignals';
import { triage } from '../triage';

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';

/** A triage of crashing pods, and what an engineer pastes from it into the internal record. */
function internalWords() {
  const input = SCENARIO_SIGNALS['pods-crashing'];
  const report = triage(input);
  const pods = (input.kubernetes.value as KubernetesValue).pods.map(
    p => p.name,
  );
  const host = 'vastai-integration.vastai.svc.cluster.local';
  const error = 'connect ECONNREFUSED 10.42.0.17:8080';
  return {
    title: report.verdict.slice(0, 200),
    impact: `${report.reasons.join('; ')}; pods ${pods.join(
      ', ',
    )}; ${host}: ${error}`,
    forbidden: [
      report.verdict.slice(0, 40),
      ...report.reasons,
      'CrashLoopBackOff',
      'OOMKilled',
      ...pods,
      host,
      'ECONNREFUSED',
      '10.42.0.17',
    ],
  };
}

describe('the public status page gets public words', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ prometheus: false });
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => sandbox.receivers.clear());

  async function declared(databaseId: TestDatabaseId, statuspage?: JsonObject) {
    const knex = await databases.init(databaseId);
    const { service } = await incidentCommsOnSandbox(knex, sandbox, {
      statuspage,
    });
    const words = internalWords();
    const incident = await service.declare(
      {
        entityRef: COMMS_ENTITY,
        integration: COMMS_INTEGRATION,
        title: words.title,
        impact: words.impact,
        severity: 'P1',
      },
      ALICE,
    );
    return { service, incident, words };
  }

  it.each(databases.eachSupportedId())(
    'a triage with internal reasons and pod names reaches neither the preview nor the sent status-page incident on %p',
    async databaseId => {
      const { service, incident, words } = await declared(databaseId);
      // The internal record does hold them (the Slack channel is internal).
      expect(`${incident.title} ${incident.impact}`).toContain(
        'CrashLoopBackOff',
      );

      const preview = await service.preview(incident.id, 'statuspage');
      expect(preview.statuspage).toMatchObject({
        action: 'create',
        name: 'Vast.ai Integration Issue',
      });
      expect(preview.text).toContain(
        'We are investigating a problem with our Vast.ai integration.',
      );
      expect(preview.text).toContain(
        'Impact: Features that use Vast.ai GPUs are unavailable.',
      );
      const sent = await service.send(
        incident.id,
        'statuspage',
        preview.text,
        ALICE,
        'public-1',
      );
      expect(sent.status).toBe('sent');

      // Published exactly as previewed.
      const [request] = sandbox.receivers.statuspageRequests();
      const published = (request.body as any).incident;
      expect(published.name).toBe(preview.statuspage!.name);
      expect(published.body).toBe(preview.text);
      const everything = JSON.stringify([preview, request.body]);
      for (const word of words.forbidden) {
        expect(everything).not.toContain(word);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'the configured public template replaces the default, what the sender types is published as typed, and an update publishes the previewed body on %p',
    async databaseId => {
      const { service, incident } = await declared(databaseId, {
        publicTemplate: {
          name: 'GPU rentals degraded',
          impact: { P1: 'Renting GPUs fails for everyone.' },
          body: {
            investigating: 'Looking into it. {impact} ({lastUpdated})',
          },
        },
      });
      const preview = await service.preview(incident.id, 'statuspage');
      expect(preview.statuspage?.name).toBe('GPU rentals degraded');
      expect(preview.text).toMatch(
        /^Looking into it\. Renting GPUs fails for everyone\. \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/,
      );
      const edited = `${preview.text}\nOur pods restart; a fix is rolling out.`;
      await service.send(incident.id, 'statuspage', edited, ALICE, 'p-2');
      const [request] = sandbox.receivers.statuspageRequests();
      expect((request.body as any).incident).toMatchObject({
        name: 'GPU rentals degraded',
        body: edited,
      });

      // Later messages update the same public incident; the preview says so.
      await service.update(incident.id, { status: 'resolved' }, ALICE);
      const resolved = await service.preview(incident.id, 'statuspage');
      expect(resolved.statuspage).toMatchObject({
        action: 'update',
        status: 'resolved',
      });
      // No template configured for "resolved": the runbook's default.
      expect(resolved.text).toContain(
        'The problem with our Vast.ai integration has been resolved.',
      );

      // The update publishes exactly the previewed body, status and component status.
      const update = await service.send(
        incident.id,
        'statuspage',
        resolved.text,
        ALICE,
        'p-3',
      );
      expect(update.status).toBe('sent');
      const [create, patch] = sandbox.receivers.statuspageRequests();
      expect(patch.method).toBe('PATCH');
      expect(patch.incidentId).toBeDefined();
      const createdName = (create.body as any).incident.name;
      expect(createdName).toBe(preview.statuspage!.name);
      expect((patch.body as any).incident).toEqual({
        status: resolved.statuspage!.status,
        body: resolved.text,
        components: { comp1: resolved.statuspage!.componentStatus },
      });
      expect(resolved.statuspage!.componentStatus).toBe('operational');
    },
  );
});
