export { RemediationPanel } from './RemediationPanel';
export type { RemediationPanelProps } from './RemediationPanel';
