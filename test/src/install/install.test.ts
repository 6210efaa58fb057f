/*
 * The plugins install into someone else's Backstage: the three packages are built and packed as
 * they would be published, then installed from the tarballs into a minimal Backstage (backend +
 * app, test/fixtures/install-app) copied outside the repo, with its own node_modules. Anything a
 * package takes from the workspace (an `@internal/*` import, a file outside the package, an
 * undeclared dependency) fails here. The README's "Installing into your own Backstage" is these
 * steps. Prints each step's duration.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectedVerdict, startSandbox } from '@internal/vastai-sandbox';
import { eventually } from '@internal/vastai-sandbox/testing';
import {
  buildPlugins,
  filesContaining,
  filesWithPrivateKeys,
  forbiddenEntries,
  importsOutsidePackage,
  packageByName,
  PackedPackage,
  packPlugins,
  REPO_ROOT,
  run,
  timedStep,
  undeclaredImports,
} from '../testing/packaging';
import {
  copyFixture,
  dropDatabase,
  FixtureBackend,
  fixtureEnv,
  fixtureGuestToken,
  npmInstall,
  startFixtureBackend,
} from '../testing/installFixture';
import { freePort } from '../testing/ports';

const BACKEND = '@vastai-incident/backstage-plugin-backend';
const FRONTEND = '@vastai-incident/backstage-plugin';
const COMMON = '@vastai-incident/backstage-plugin-common';
const SCENARIO = 'vendor-outage';
const ADMIN_DB_URL =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';

jest.setTimeout(15 * 60_000);

describe('installing the packed plugins into a fresh Backstage', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vastai-install-'));
  const tarballDir = path.join(workDir, 'tarballs');
  const appDir = path.join(workDir, 'backstage');
  const database = `vastai_install_${process.pid}_${Date.now()}`;
  const started = Date.now();
  let packed: PackedPackage[] = [];
  let installed = false;
  let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let backend: FixtureBackend | undefined;
  let env: NodeJS.ProcessEnv = fixtureEnv();

  const tarball = (name: string) => {
    const found = packed.find(p => p.name === name);
    if (!found) throw new Error(`${name} was not packed`);
    return found.tarball;
  };

  afterAll(async () => {
    await backend?.stop();
    await sandbox?.stop();
    if (installed) {
      await dropDatabase(appDir, ADMIN_DB_URL, database, env).catch(error =>
        process.stdout.write(`install test: dropping ${database}: ${error}\n`),
      );
    }
    if (process.env.VASTAI_KEEP_INSTALL_DIR !== '1') {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    process.stdout.write(
      `install test: total: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });

  it('builds the three packages from their own sources and dependencies', async () => {
    await timedStep(
      'build the packages (tsc + backstage-cli package build)',
      () => buildPlugins(fixtureEnv()),
    );
    for (const name of [COMMON, BACKEND, FRONTEND]) {
      const dir = path.join(REPO_ROOT, packageByName(name).dir);
      expect({ name, undeclared: undeclaredImports(dir) }).toEqual({
        name,
        undeclared: [],
      });
      expect({ name, outside: importsOutsidePackage(dir) }).toEqual({
        name,
        outside: [],
      });
      expect({
        name,
        internal: filesContaining(path.join(dir, 'dist'), '@internal/'),
      }).toEqual({ name, internal: [] });
    }
  });

  it('packs tarballs without tests, test support, the sandbox or secrets', async () => {
    packed = await timedStep('npm pack (prepack applies publishConfig)', () =>
      packPlugins(tarballDir, fixtureEnv()),
    );
    for (const p of packed) {
      process.stdout.write(
        `install test: ${path.basename(p.tarball)}: ${
          p.entries.length
        } files, ${p.size} bytes\n`,
      );
      expect({ name: p.name, forbidden: forbiddenEntries(p.entries) }).toEqual({
        name: p.name,
        forbidden: [],
      });
      expect(p.entries).toEqual(
        expect.arrayContaining([
          'package.json',
          'LICENSE',
          'README.md',
          'dist/index.d.ts',
        ]),
      );
    }
    expect(
      packed
        .find(p => p.name === BACKEND)!
        .entries.filter(e => e.startsWith('migrations/')).length,
    ).toBeGreaterThan(0);
    expect(packed.find(p => p.name === BACKEND)!.entries).toContain(
      'config.schema.json',
    );
  });

  it('installs from the tarballs into a Backstage outside the repo', async () => {
    copyFixture(appDir);
    await timedStep("npm install (the fixture's own Backstage)", () =>
      npmInstall(appDir, [], env),
    );
    // The common package is not on the registry yet: its tarball goes in beside the plugin's.
    await timedStep('npm install -w backend (backend plugin tarball)', () =>
      npmInstall(
        appDir,
        ['--workspace', 'backend', tarball(BACKEND), tarball(COMMON)],
        env,
      ),
    );
    await timedStep('npm install -w app (frontend plugin tarball)', () =>
      npmInstall(
        appDir,
        ['--workspace', 'app', tarball(FRONTEND), tarball(COMMON)],
        env,
      ),
    );
    installed = true;

    for (const name of [COMMON, BACKEND, FRONTEND]) {
      const dir = path.join(appDir, 'node_modules', name);
      const pkg = JSON.parse(
        fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
      );
      // Installed, not linked into the workspace: a real folder whose entry point is built.
      expect(fs.lstatSync(dir).isSymbolicLink()).toBe(false);
      expect(pkg.main).toMatch(/^\.\/dist\//);
      expect(pkg.types).toBe('./dist/index.d.ts');
      expect(pkg.private).toBeUndefined();
      expect(fs.existsSync(path.join(dir, 'src'))).toBe(false);
      expect({
        name,
        internal: filesContaining(path.join(dir, 'dist'), '@internal/'),
      }).toEqual({ name, internal: [] });
      const runtimeDeps = Object.keys({
        ...pkg.dependencies,
        ...pkg.peerDependencies,
        ...pkg.optionalDependencies,
      });
      expect({
        name,
        internal: runtimeDeps.filter(d => d.startsWith('@internal/')),
      }).toEqual({ name, internal: [] });
      expect({ name, keys: filesWithPrivateKeys(dir) }).toEqual({
        name,
        keys: [],
      });
    }
  });

  it('builds an app bundle that holds the Vast.ai incident tab', async () => {
    expect(installed).toBe(true);
    const port = await freePort();
    sandbox = await timedStep('start the sandbox', () =>
      startSandbox({ scenario: SCENARIO, prometheus: true }),
    );
    const urls = sandbox.urls;
    env = fixtureEnv({
      BACKEND_PORT: String(port),
      DATABASE_URL: `${ADMIN_DB_URL}/${database}`,
      KUBERNETES_URL: urls.kubernetes,
      KUBERNETES_TOKEN: 'sandbox-token',
      VASTAI_API_BASE_URL: `${urls.vastApi}/api/v0`,
      VASTAI_OPERATOR_API_KEY: 'sandbox-operator-key',
      VASTAI_STATUS_URL: urls.statusPage,
      PROMETHEUS_URL: urls.prometheus ?? 'http://127.0.0.1:9',
      INTEGRATION_HEALTH_URL: `${urls.services['vastai-integration']}/health`,
    });
    await timedStep('build the app (backstage-cli package build)', () =>
      run('npx', ['backstage-cli', 'package', 'build'], {
        cwd: path.join(appDir, 'packages/app'),
        env: {
          ...env,
          NODE_ENV: 'production',
          NODE_OPTIONS: '--max-old-space-size=4096',
        },
      }),
    );
    const bundle = path.join(appDir, 'packages/app/dist');
    expect(fs.existsSync(path.join(bundle, 'index.html'))).toBe(true);
    const withTab = filesContaining(bundle, 'Vast.ai incident').filter(
      f => !f.endsWith('.map'),
    );
    expect(withTab.length).toBeGreaterThan(0);
  });

  it("answers triage from the installed backend plugin, with the fixture's binding", async () => {
    expect(sandbox).toBeDefined();
    backend = await timedStep('start the backend', () =>
      startFixtureBackend(appDir, Number(env.BACKEND_PORT), env),
    );
    const token = await fixtureGuestToken(backend.url);
    const triage = (name: string) =>
      fetch(
        `${
          backend!.url
        }/api/vastai-incident/v1/entities/default/component/${name}/triage`,
        { headers: { Authorization: `Bearer ${token}` } },
      );

    const expected = expectedVerdict(SCENARIO, 'json');
    const report = await timedStep('triage reaches the verdict', () =>
      eventually(
        async () => {
          const res = await triage('vastai-integration');
          return { status: res.status, body: await res.json() };
        },
        {
          what: `triage of component:default/vastai-integration to read ${expected.branch}/${expected.severity}`,
          accept: r =>
            r.status === 200 &&
            r.body.branch === expected.branch &&
            r.body.severity === expected.severity,
          timeoutMs: 180_000,
          intervalMs: 2_000,
        },
      ),
    );
    expect(['P1', 'P2', 'P3', 'P4']).toContain(report.body.severity);
    expect(report.body.signals.length).toBeGreaterThan(0);
    for (const signal of report.body.signals) {
      expect(typeof signal.state).toBe('string');
    }
    // The migrations shipped in the tarball ran: the incidents list reads their tables.
    const incidents = await fetch(
      `${backend.url}/api/vastai-incident/v1/incidents`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    expect(incidents.status).toBe(200);
    expect(backend.output()).not.toMatch(/migration.*(failed|ENOENT)/i);
  });
});
