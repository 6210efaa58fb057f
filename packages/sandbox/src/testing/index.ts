/**
 * Test support for the sandbox and for the packages that test against it
 * (`@internal/vastai-sandbox/testing`): polling without fixed sleeps, the real kubectl, a
 * throwaway kube API server, real PromQL reads, and a fake KubeStore for unit tests.
 */
export { eventually } from './eventually';
export type { EventuallyOptions } from './eventually';
export { KUBECTL_BIN, KubectlError, makeKubectl } from './kubectl';
export type { Kubectl, KubectlOptions, KubectlResult } from './kubectl';
export { defaultTestSeed, startKubeTestCluster } from './kubeTestCluster';
export type { KubeTestCluster } from './kubeTestCluster';
export { promQuery, promValue, waitUntil } from './prometheus';
export { FakeKubeStore } from './fakeKubeStore';
export { expectedVerdict } from '../scenarios/expectedVerdicts';
export { SCENARIO_NAMES } from '../scenarios/scenarios';
export type { ExpectedVerdict } from '../scenarios/expectedVerdicts';
