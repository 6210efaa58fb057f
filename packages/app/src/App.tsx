import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import notificationsPlugin from '@backstage/plugin-notifications/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import signalsPlugin from '@backstage/plugin-signals/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import vastaiIncidentPlugin from '@vastai-incident/backstage-plugin/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

/**
 * The plugins are listed explicitly, so the app is the same with or without
 * package discovery (`app.packages: all` in app-config); with discovery on,
 * these entries win over the discovered copies (same plugin ids).
 */
export default createApp({
  features: [
    catalogPlugin,
    orgPlugin,
    userSettingsPlugin,
    kubernetesPlugin,
    notificationsPlugin,
    signalsPlugin,
    vastaiIncidentPlugin,
    navModule,
    signInModule,
  ],
});
