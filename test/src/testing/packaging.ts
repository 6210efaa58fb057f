/*
 * Building and packing the three publishable plugin packages the way they are published, and
 * checking what a tarball and a built package may contain. Used by the install test and by
 * `npm run build:plugins`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface PluginPackage {
  /** Folder under the repo root. */
  dir: string;
  name: string;
}

/** The published packages, in build order (common first: the others import it). */
export const PLUGIN_PACKAGES: PluginPackage[] = [
  {
    dir: 'plugins/vastai-incident-common',
    name: '@vastai-incident/backstage-plugin-common',
  },
  {
    dir: 'plugins/vastai-incident-backend',
    name: '@vastai-incident/backstage-plugin-backend',
  },
  { dir: 'plugins/vastai-incident', name: '@vastai-incident/backstage-plugin' },
];

export function packageByName(name: string): PluginPackage {
  const pkg = PLUGIN_PACKAGES.find(p => p.name === name);
  if (!pkg) throw new Error(`not a published package: ${name}`);
  return pkg;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this long (default 10 minutes). */
  timeoutMs?: number;
}

/** Runs a command to completion; throws with the tail of its output when it fails. */
export function run(
  command: string,
  args: string[],
  opts: RunOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(
      () => child.kill('SIGKILL'),
      opts.timeoutMs ?? 600_000,
    );
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} (in ${opts.cwd}) failed with ${
              signal ?? `exit ${code}`
            }:\n${output.slice(-6000)}`,
          ),
        );
    });
  });
}

/** Runs one step and prints how long it took. */
export async function timedStep<T>(
  label: string,
  step: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  try {
    return await step();
  } finally {
    process.stdout.write(
      `install test: ${label}: ${((Date.now() - started) / 1000).toFixed(
        1,
      )} s\n`,
    );
  }
}

/**
 * Builds the three packages into their `dist/`. The type bundles are made from the repo's `tsc`
 * output in `dist-types/` (what backstage-cli expects); the backend's `config.d.ts` is a schema
 * that `tsc` reads but never emits, and the backend's config types derive from it, so it is
 * copied beside the emitted sources for the bundler to find.
 */
export async function buildPlugins(
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  // tsc exits 2 when it found type errors but still emitted every declaration: the repo's
  // type check step reports those; the build only needs the declarations.
  await run('npx', ['tsc'], { cwd: REPO_ROOT, env }).catch(error => {
    if (!/failed with exit 2:/.test(String(error))) throw error;
    process.stdout.write(
      'install test: tsc reported type errors (see the type check step); building from its output\n',
    );
  });
  for (const pkg of PLUGIN_PACKAGES) {
    const schema = path.join(REPO_ROOT, pkg.dir, 'config.d.ts');
    if (fs.existsSync(schema)) {
      fs.copyFileSync(
        schema,
        path.join(REPO_ROOT, 'dist-types', pkg.dir, 'config.d.ts'),
      );
    }
  }
  for (const pkg of PLUGIN_PACKAGES) {
    await run('npx', ['backstage-cli', 'package', 'build'], {
      cwd: path.join(REPO_ROOT, pkg.dir),
      env,
    });
  }
}

export interface PackedPackage extends PluginPackage {
  tarball: string;
  /** Paths inside the tarball, without the leading `package/`. */
  entries: string[];
  /** Compressed size in bytes. */
  size: number;
}

/** `npm pack`s each package (prepack applies publishConfig) into `destDir`. */
export async function packPlugins(
  destDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PackedPackage[]> {
  fs.mkdirSync(destDir, { recursive: true });
  const packed: PackedPackage[] = [];
  for (const pkg of PLUGIN_PACKAGES) {
    const dir = path.join(REPO_ROOT, pkg.dir);
    const { version } = JSON.parse(
      fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
    );
    // npm's tarball name: the scope without `@`, joined to the name by `-`.
    const tarball = path.join(
      destDir,
      `${pkg.name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`,
    );
    fs.rmSync(tarball, { force: true });
    await run('npm', ['pack', '--pack-destination', destDir], {
      cwd: dir,
      env,
    });
    const listing = await run('tar', ['-tzf', tarball], { cwd: destDir });
    const entries = listing
      .split('\n')
      .filter(Boolean)
      .map(e => e.replace(/^package\//, ''));
    packed.push({ ...pkg, tarball, entries, size: fs.statSync(tarball).size });
  }
  return packed;
}

/** Tarball entries that must never ship: tests, test support, the sandbox, secrets, sources. */
export function forbiddenEntries(entries: string[]): string[] {
  const rules: RegExp[] = [
    /\.test\.[cm]?[jt]sx?(\.map)?$/,
    /(^|\/)__(tests|mocks|fixtures)__\//,
    /(^|\/)src\/testing(\/|$)/,
    /(^|\/)testing\//,
    /sandbox/i,
    /(^|\/)\.env(\.|$)/,
    /(^|\/)\.npmrc$/,
    /\.(pem|key|p12|pfx|crt|jks)$/,
    /(^|\/)id_(rsa|ed25519|ecdsa)/,
    /(^|\/)kubeconfig/i,
    /^src\//,
    /\.tsbuildinfo$/,
  ];
  return entries.filter(e => rules.some(r => r.test(e)));
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

const BUILTINS = new Set(builtinModules);

/** The packages (not files) that the built JavaScript of `distDir` imports. */
export function importedPackages(distDir: string): Set<string> {
  const found = new Set<string>();
  const specifier =
    /(?:\brequire\(|\bfrom\s*|\bimport\s*\(|\bimport\s+)['"]([^'"]+)['"]/g;
  for (const file of listFiles(distDir)) {
    if (!/\.[cm]?js$/.test(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(specifier)) {
      const spec = m[1];
      if (spec.startsWith('.') || spec.startsWith('/')) continue;
      const name = spec.startsWith('@')
        ? spec.split('/').slice(0, 2).join('/')
        : spec.split('/')[0];
      found.add(name);
    }
  }
  return found;
}

/** Packages the built code imports that its package.json does not declare. */
export function undeclaredImports(packageDir: string): string[] {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'),
  );
  const declared = new Set([
    pkg.name,
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ]);
  return [...importedPackages(path.join(packageDir, 'dist'))]
    .filter(name => !declared.has(name))
    .filter(name => !name.startsWith('node:') && !BUILTINS.has(name))
    .sort();
}

/** Relative imports in built JavaScript that leave the package (e.g. `../../other-pkg/src`). */
export function importsOutsidePackage(packageDir: string): string[] {
  const root = path.resolve(packageDir);
  const out: string[] = [];
  const specifier =
    /(?:\brequire\(|\bfrom\s*|\bimport\s*\()['"](\.[^'"]*)['"]/g;
  for (const file of listFiles(path.join(packageDir, 'dist'))) {
    if (!/\.[cm]?js$/.test(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(specifier)) {
      const target = path.resolve(path.dirname(file), m[1]);
      if (!target.startsWith(root + path.sep))
        out.push(`${path.relative(root, file)} -> ${m[1]}`);
    }
  }
  return out;
}

/** Files under `dir` whose text contains `needle` (source maps included). */
export function filesContaining(dir: string, needle: string): string[] {
  return listFiles(dir)
    .filter(f => fs.readFileSync(f, 'latin1').includes(needle))
    .map(f => path.relative(dir, f));
}

/** Files under `dir` that hold a private key block. */
export function filesWithPrivateKeys(dir: string): string[] {
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  return listFiles(dir)
    .filter(f => key.test(fs.readFileSync(f, 'latin1')))
    .map(f => path.relative(dir, f));
}

/** A CLI for `npm run build:plugins`: builds, then packs into the folder given (if any). */
async function main() {
  const dest = process.argv[2];
  await timedStep('build the plugin packages', () => buildPlugins());
  if (dest) {
    const packed = await packPlugins(path.resolve(dest));
    for (const p of packed) {
      process.stdout.write(
        `${path.basename(p.tarball)}: ${p.entries.length} files, ${
          p.size
        } bytes\n`,
      );
    }
  }
}

if (require.main === module) {
  main().catch(error => {
    process.stderr.write(`${error}\n`);
    process.exit(1);
  });
}
