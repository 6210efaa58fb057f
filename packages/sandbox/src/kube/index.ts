/**
 * The simulated Kubernetes cluster of the sandbox.
 *
 * - `InMemoryKubeStore` (implements `KubeStore`): the object store, the controller manager
 *   (Deployment -> ReplicaSet -> Pod, rolling updates paced by `rolloutStepMs`) and the kubelet
 *   (crash loops, env from Secrets, pod logs), events, recorded writes.
 * - `createKubeApiServer(store, { port, host, token, tls })`: the API subset the real kubectl and
 *   the Backstage Kubernetes plugin use. kubectl only sends a bearer token over TLS, so give it a
 *   `tls: true` server (self-signed; `caCert` goes into the kubeconfig).
 */
export * from './types';
export { InMemoryKubeStore } from './store';
export { maskSecretValues } from './writeLog';
export type { InMemoryKubeStoreOptions } from './store';
export { createKubeApiServer, selfSignedCertificate } from './server';
export type { KubeApiServer, KubeApiServerOptions } from './server';
