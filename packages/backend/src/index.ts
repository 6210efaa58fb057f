/*
 * The portal's backend: catalog, guest sign-in, permissions with the ownership policy,
 * Kubernetes, notifications, signals, and the Vast.ai incident plugin.
 */
import { createBackend } from '@backstage/backend-defaults';
import { backendFeatures } from './features';

const backend = createBackend();
for (const feature of backendFeatures) {
  backend.add(feature);
}
backend.start();
