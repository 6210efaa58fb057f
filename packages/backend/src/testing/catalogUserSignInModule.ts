import { createBackendModule } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthProviderFactory,
  createProxyAuthenticator,
} from '@backstage/plugin-auth-node';

/** Header naming the catalog user that the tests-only sign-in provider signs in. */
export const TEST_SIGN_IN_USER_HEADER = 'x-test-sign-in-as';

/** Provider id of the tests-only sign-in; must be present under `auth.providers` to be enabled. */
export const TEST_SIGN_IN_PROVIDER_ID = 'catalog-user-for-tests';

/**
 * TESTS ONLY. An auth provider that signs in as any catalog user named in a header, through the
 * auth backend's real `signInWithCatalogUser` (so the token's ownership claims come from the
 * catalog, exactly as for the guest provider). The guest provider can only ever be one user;
 * this lets the policy tests sign in as users who own something else, or nothing.
 */
export const authModuleCatalogUserSignInForTests = createBackendModule({
  pluginId: 'auth',
  moduleId: 'catalog-user-sign-in-for-tests',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: TEST_SIGN_IN_PROVIDER_ID,
          factory: createProxyAuthProviderFactory<{ userEntityRef: string }>({
            authenticator: createProxyAuthenticator({
              defaultProfileTransform: async () => ({ profile: {} }),
              initialize: () => undefined,
              async authenticate({ req }) {
                const userEntityRef = req.header(TEST_SIGN_IN_USER_HEADER);
                if (!userEntityRef) {
                  throw new InputError(`Missing ${TEST_SIGN_IN_USER_HEADER}`);
                }
                return { result: { userEntityRef } };
              },
            }),
            signInResolver: async ({ result }, ctx) =>
              ctx.signInWithCatalogUser({ entityRef: result.userEntityRef }),
          }),
        });
      },
    });
  },
});
