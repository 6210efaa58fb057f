import { Entity } from '@backstage/catalog-model';
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
  const res = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [guest, integration, batchWorker] = await Promise.all(
      [
        '/api/catalog/entities/by-name/user/default/guest',
        '/api/catalog/entities/by-name/component/default/vastai-integration',
        '/api/catalog/entities/by-name/component/default/vastai-batch-worker',
      ].map(async p => (await getJson(baseUrl, p, token)).body as Entity),
    );
    if (
      hasRelation(guest, 'memberOf', 'group:default/vastai-oncall') &&
      hasRelation(integration, 'ownedBy', 'group:default/vastai-oncall') &&
      hasRelation(batchWorker, 'ownedBy', 'group:default/gpu-batch')
    ) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error('the demo catalog was not ingested in time');
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}
