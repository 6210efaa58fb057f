export { VendorStatusCard } from './VendorStatusCard';
export { IntegrationHealthCard } from './IntegrationHealthCard';
export { ErrorRateCard } from './ErrorRateCard';
export { PodsCard } from './PodsCard';
