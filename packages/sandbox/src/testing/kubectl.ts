import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A kubectl run that exited non-zero; carries its exit code and output. */
export class KubectlError extends Error implements KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;

  constructor(args: string[], result: KubectlResult) {
    super(
      `kubectl ${args.join(' ')} exited ${
        result.code
      }: ${result.stderr.trim()}`,
    );
    this.name = 'KubectlError';
    this.code = result.code;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

export interface Kubectl {
  kubeconfig: string;
  /** Runs kubectl and resolves with its exit code and output, whatever the exit code. */
  run(args: string[], input?: string): Promise<KubectlResult>;
  /** Runs kubectl and resolves with stdout; rejects with a `KubectlError` on a non-zero exit. */
  ok(args: string[], input?: string): Promise<string>;
  /** Runs kubectl expecting it to fail; rejects when it exits 0. */
  fails(args: string[], input?: string): Promise<KubectlResult>;
  /** Removes the private HOME (when `makeKubectl` created it). */
  cleanup(): Promise<void>;
}

export interface KubectlOptions {
  /**
   * kubectl's HOME (its discovery cache goes there); by default a fresh temporary folder, which
   * keeps the user's own cache and config out of the run.
   */
  home?: string;
  /** A run still going after this long is killed (a safety net, not a deadline); default 2 min. */
  timeoutMs?: number;
}

/** The kubectl binary the tests run; `KUBECTL_BIN` overrides the one on the PATH. */
export const KUBECTL_BIN = process.env.KUBECTL_BIN ?? 'kubectl';

/** Runs the real kubectl against the given kubeconfig only (never the user's). */
export async function makeKubectl(
  kubeconfig: string,
  options: KubectlOptions = {},
): Promise<Kubectl> {
  const home =
    options.home ??
    (await mkdtemp(path.join(os.tmpdir(), 'vastai-sandbox-kubectl-')));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const run = (args: string[], input?: string) =>
    new Promise<KubectlResult>((resolve, reject) => {
      const child = spawn(KUBECTL_BIN, args, {
        env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: timeoutMs,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', d => (stdout += d));
      child.stderr.on('data', d => (stderr += d));
      child.once('error', reject);
      child.once('close', (code, signal) =>
        resolve(
          code === null
            ? { code: 1, stdout, stderr: `${stderr}\n(killed by ${signal})` }
            : { code, stdout, stderr },
        ),
      );
      child.stdin.end(input ?? '');
    });
  return {
    kubeconfig,
    run,
    async ok(args, input) {
      const result = await run(args, input);
      if (result.code !== 0) throw new KubectlError(args, result);
      return result.stdout;
    },
    async fails(args, input) {
      const result = await run(args, input);
      if (result.code === 0) {
        throw new Error(
          `kubectl ${args.join(' ')} unexpectedly succeeded: ${result.stdout}`,
        );
      }
      return result;
    },
    async cleanup() {
      if (!options.home) await rm(home, { recursive: true, force: true });
    },
  };
}
