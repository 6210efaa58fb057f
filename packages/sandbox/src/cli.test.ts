import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);

const packageDir = path.resolve(__dirname, '..');
const tsx = path.resolve(packageDir, '../../node_modules/.bin/tsx');

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(tsx, ['src/cli.ts', ...args], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => (stderr += d));
  const done = new Promise<number | null>(resolve =>
    child.once('close', resolve),
  );
  return { child, done, out: () => stdout, err: () => stderr };
}

describe('sandbox CLI', () => {
  it('refuses an unknown scenario, listing the valid ones', async () => {
    const r = run(['scenario', 'no-such-scenario']);
    expect(await r.done).toBe(1);
    expect(r.err()).toContain(
      'valid scenarios: healthy, vendor-outage, auth-failure, rate-limited, degraded-latency, pods-crashing, minor-errors, monitoring-gap, recovered',
    );
  });

  it('starts on a base port, switches scenario through the control port, prints no key', async () => {
    const base = String(21000 + Math.floor(Math.random() * 20000));
    const env = {
      SANDBOX_BASE_PORT: base,
      SANDBOX_PROMETHEUS: '0',
      SANDBOX_VAST_OPERATOR_KEY: 'cli-test-operator-key',
    };
    const server = run(['start'], env);
    try {
      const deadline = Date.now() + 30_000;
      while (!server.out().includes('kubernetes') && Date.now() < deadline) {
        if (server.child.exitCode !== null)
          throw new Error(`sandbox exited: ${server.err()}`);
        await new Promise(r => setTimeout(r, 200));
      }
      expect(server.out()).toContain(`http://127.0.0.1:${base}`);
      expect(server.out()).toContain(
        `http://127.0.0.1:${Number(base) + 1}/api/v0/`,
      );
      expect(server.out()).not.toContain('cli-test-operator-key');

      const switched = run(['scenario', 'rate-limited'], env);
      expect(await switched.done).toBe(0);
      expect(JSON.parse(switched.out()).name).toBe('rate-limited');
      const state = await (
        await fetch(`http://127.0.0.1:${base}/scenario`)
      ).json();
      expect(state.name).toBe('rate-limited');
    } finally {
      server.child.kill('SIGTERM');
      await server.done;
    }
  });
});
