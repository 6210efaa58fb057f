import { SignInPage } from '@backstage/core-components';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

/**
 * Guest sign-in (the demo's on-call user; the backend maps it to
 * `auth.providers.guest.userEntityRef`). The button reads "Enter".
 */
export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    SignInPageBlueprint.make({
      params: {
        loader: async () => props =>
          (
            <SignInPage
              {...props}
              title="Vast.ai incident response"
              providers={['guest']}
            />
          ),
      },
    }),
  ],
});
