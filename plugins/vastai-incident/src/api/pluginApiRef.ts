import { ApiRef, createApiRef } from '@backstage/frontend-plugin-api';
import { VASTAI_INCIDENT_PLUGIN_ID } from '@vastai-incident/backstage-plugin-common';

/** The ref of one of this plugin's APIs: id `plugin.vastai-incident.<name>`. */
export function pluginApiRef<TApi>(name: string): ApiRef<TApi> {
  return createApiRef<TApi>().with({
    id: `plugin.${VASTAI_INCIDENT_PLUGIN_ID}.${name}`,
    pluginId: VASTAI_INCIDENT_PLUGIN_ID,
  });
}
