import { Entity } from '@backstage/catalog-model';
import { VASTAI_INTEGRATION_ANNOTATION } from '@vastai-incident/backstage-plugin-common';

/**
 * True when the entity names a Vast.ai integration. The tab and the cards show
 * only for such entities (in both frontend systems).
 */
export function isVastaiIncidentAvailable(entity: Entity): boolean {
  return Boolean(
    entity?.metadata?.annotations?.[VASTAI_INTEGRATION_ANNOTATION]?.trim(),
  );
}
