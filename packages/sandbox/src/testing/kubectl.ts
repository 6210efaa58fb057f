import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against the sandbox (its own kubeconfig; never the user's). */
export async function makeKubectl(kubeconfig: string) {
  // A private HOME keeps kubectl's discovery cache away from the user's.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vastai-sandbox-kubectl-'));
  const binary = process.env.KUBECTL_BIN ?? 'kubectl';
  const run = (args: string[], input?: string): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, ['--request-timeout=20s', ...args], {
        env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', d => (stdout += d));
      child.stderr.on('data', d => (stderr += d));
      child.once('error', reject);
      child.once('close', code => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  /** Runs kubectl and fails with its stderr when it exits non-zero. */
  const ok = async (args: string[], input?: string) => {
    const r = await run(args, input);
    if (r.code !== 0)
      throw new Error(
        `kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`,
      );
    return r.stdout;
  };
  const cleanup = () => rm(dir, { recursive: true, force: true });
  return { run, ok, kubeconfig, cleanup };
}
