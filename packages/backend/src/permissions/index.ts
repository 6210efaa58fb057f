export { VastaiOwnershipPolicy } from './VastaiOwnershipPolicy';
export { permissionModuleVastaiOwnershipPolicy } from './policyModule';
