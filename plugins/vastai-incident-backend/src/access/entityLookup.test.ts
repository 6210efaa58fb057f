import { mockCredentials } from '@backstage/backend-test-utils';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { EntityLookup } from './entityLookup';

function countingCatalog(annotation?: string) {
  const calls: string[] = [];
  let fail = false;
  const catalog = {
    async getEntityByRef(ref: string) {
      calls.push(ref);
      await new Promise(r => setTimeout(r, 5));
      if (fail) throw new Error('catalog down');
      if (ref.endsWith('/missing')) return undefined;
      return {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: ref.split('/').pop()!,
          annotations: annotation ? { 'vast.ai/integration': annotation } : {},
        },
      };
    },
  } as unknown as CatalogService;
  return { catalog, calls, setFail: (f: boolean) => (fail = f) };
}

describe('EntityLookup', () => {
  const alice = mockCredentials.user('user:default/alice');
  const bob = mockCredentials.user('user:default/bob');
  const ref = 'component:default/vastai-integration';

  it('remembers per user, shares concurrent lookups, and reads the annotation', async () => {
    const { catalog, calls } = countingCatalog('vastai-integration');
    const lookup = new EntityLookup(catalog, 60_000);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => lookup.lookup(ref, alice)),
    );
    expect(answers[0]).toEqual({
      found: true,
      integrationName: 'vastai-integration',
    });
    expect(calls).toHaveLength(1);
    await lookup.lookup(ref, alice);
    expect(calls).toHaveLength(1);
    // another user's catalog permissions may differ: their own call
    await lookup.lookup(ref, bob);
    expect(calls).toHaveLength(2);
    expect(await lookup.lookup('component:default/missing', alice)).toEqual({
      found: false,
      integrationName: undefined,
    });
  });

  it('forgets failures and expired answers; ttl 0 asks every time', async () => {
    const { catalog, calls, setFail } = countingCatalog('x');
    const lookup = new EntityLookup(catalog, 30);
    setFail(true);
    await expect(lookup.lookup(ref, alice)).rejects.toThrow('catalog down');
    setFail(false);
    await expect(lookup.lookup(ref, alice)).resolves.toMatchObject({
      found: true,
    });
    expect(calls).toHaveLength(2);
    await new Promise(r => setTimeout(r, 40));
    await lookup.lookup(ref, alice);
    expect(calls).toHaveLength(3);

    const uncached = new EntityLookup(catalog, 0);
    await uncached.lookup(ref, alice);
    await uncached.lookup(ref, alice);
    expect(calls).toHaveLength(5);
  });

  it('stays bounded in size', async () => {
    const { catalog } = countingCatalog('x');
    const lookup = new EntityLookup(catalog, 60_000, 3);
    for (let i = 0; i < 10; i++) {
      await lookup.lookup(`component:default/e${i}`, alice);
    }
    expect((lookup as any).entries.size).toBeLessThanOrEqual(3);
  });
});
