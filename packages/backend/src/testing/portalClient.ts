import { Entity } from '@backstage/catalog-model';
import { eventually } from '@internal/vastai-sandbox/testing';
import {
  TEST_SIGN_IN_PROVIDER_ID,
  TEST_SIGN_IN_USER_HEADER,
} from './catalogUserSignInModule';

export interface SignedInUser {
  token: string;
  userEntityRef: string;
  ownershipEntityRefs: string[];
}

async function refreshSession(
  url: string,
  headers: Record<string, string> = {},
): Promise<SignedInUser> {
  // Proxy providers answer /refresh only to XHR-style requests, as the frontend sends them.
  const res = await fetch(url, {
    headers: { 'x-requested-with': 'XMLHttpRequest', ...headers },
  });
  if (!res.ok) {
    throw new Error(`sign-in ${url} -> ${res.status} ${await res.text()}`);
  }
  const body = await res.json();
  return {
    token: body.backstageIdentity.token,
    userEntityRef: body.backstageIdentity.identity.userEntityRef,
    ownershipEntityRefs: body.backstageIdentity.identity.ownershipEntityRefs,
  };
}

/** Signs in through the real guest provider, as the frontend's "Enter" button does. */
export function signInAsGuest(baseUrl: string) {
  return refreshSession(`${baseUrl}/api/auth/guest/refresh`);
}

/** Signs in as any catalog user through the tests-only provider. */
export function signInAsCatalogUser(baseUrl: string, userEntityRef: string) {
  return refreshSession(
    `${baseUrl}/api/auth/${TEST_SIGN_IN_PROVIDER_ID}/refresh`,
    { [TEST_SIGN_IN_USER_HEADER]: userEntityRef },
  );
}

export async function getJson(baseUrl: string, path: string, token: string) {
  return callJson(baseUrl, token, 'GET', path);
}

/** The entries of an entity's remediation audit with the given outcome (as the user reads them). */
export async function auditEntries(
  baseUrl: string,
  user: SignedInUser,
  entityName: string,
  outcome: string,
): Promise<Array<{ actor: string; [field: string]: unknown }>> {
  const history = await getJson(
    baseUrl,
    `/api/vastai-incident/v1/entities/default/component/${entityName}/actions/history`,
    user.token,
  );
  if (history.status !== 200)
    throw new Error(`the audit of ${entityName} answered ${history.status}`);
  return history.body.entries.filter((e: any) => e.outcome === outcome);
}

/** Any request as the frontend sends it; the answer's status and parsed JSON body, if any. */
export async function callJson(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

function hasRelation(entity: Entity | undefined, type: string, target: string) {
  return Boolean(
    entity?.relations?.some(r => r.type === type && r.targetRef === target),
  );
}

/**
 * Waits until the catalog has ingested and stitched the demo entities, relations included:
 * the guest's group membership and the components' owners are what the policy decides on.
 */
export async function waitForDemoCatalog(
  baseUrl: string,
  token: string,
  timeoutMs = 60_000,
) {
  await eventually(
    async () => {
      const [guest, integration, batchWorker, borrower] = await Promise.all(
        [
          '/api/catalog/entities/by-name/user/default/guest',
          '/api/catalog/entities/by-name/component/default/vastai-integration',
          '/api/catalog/entities/by-name/component/default/vastai-batch-worker',
          '/api/catalog/entities/by-name/component/default/vastai-batch-borrower',
        ].map(async p => (await getJson(baseUrl, p, token)).body as Entity),
      );
      return (
        hasRelation(guest, 'memberOf', 'group:default/vastai-oncall') &&
        hasRelation(integration, 'ownedBy', 'group:default/vastai-oncall') &&
        hasRelation(batchWorker, 'ownedBy', 'group:default/gpu-batch') &&
        hasRelation(borrower, 'ownedBy', 'group:default/vastai-oncall')
      );
    },
    {
      what: 'the demo catalog to be ingested',
      timeoutMs,
      intervalMs: 250,
    },
  );
}
