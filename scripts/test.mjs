#!/usr/bin/env node
/*
 * `npm test`: every test of the repo, in two phases.
 *   1. unit, component and package-level integration tests of every workspace
 *      (backstage-cli repo test: Jest projects in parallel; PostgreSQL and SQLite both);
 *   2. the cross-package suites in test/ (acceptance against the running backend and sandbox,
 *      browser end-to-end in Debian's Chromium), one at a time since they share fixed ports.
 * Fails when PostgreSQL was not really used by the database tests, or when the two-replica
 * tests (named with REDIS) did not pass on Redis.
 * Extra arguments go to phase 1's Jest (e.g. `npm test -- plugins/vastai-incident-backend`);
 * `--skip-e2e` skips phase 2, `--skip-static` the type check and lint, `--server-side` runs
 * phase 1 on the server-side workspaces only (the Node 24 leg).
 * Every step runs on the Node that runs this script (`/path/to/node scripts/test.mjs` tests
 * on that Node: scripts/test-node24.sh does so) and prints how long it took.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const skipE2e = args.includes('--skip-e2e');
const skipStatic = args.includes('--skip-static');
const serverSide = args.includes('--server-side');
const jestArgs = args.filter(
  a => a !== '--skip-e2e' && a !== '--skip-static' && a !== '--server-side',
);
// `--server-side`: only the workspaces that run on the portal's Node (the backend, its plugin,
// the common package, the sandbox). The frontend's code runs in browsers and its Jest tests in
// jsdom, so a second Node version adds nothing there. It still counts as a whole run: the
// PostgreSQL check applies.
const SERVER_SIDE_WORKSPACES = [
  'packages/backend/',
  'packages/sandbox/',
  'plugins/vastai-incident-backend/',
  'plugins/vastai-incident-common/',
];

/** PATH with this script's Node first: npx, backstage-cli and Jest find `node` on PATH. */
function pathWithThisNode() {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  const first = dirs.map(d => path.join(d, 'node')).find(f => fs.existsSync(f));
  if (first && fs.realpathSync(first) === fs.realpathSync(process.execPath)) {
    return process.env.PATH;
  }
  return [path.dirname(process.execPath), ...dirs].join(path.delimiter);
}

const env = {
  ...process.env,
  PATH: pathWithThisNode(),
  CI: 'true',
  BACKSTAGE_TEST_DISABLE_DOCKER: '1',
  BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
    'postgresql://postgres@127.0.0.1:5432',
  BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING:
    process.env.BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING ??
    'redis://127.0.0.1:6379',
};

function canConnect(host, port) {
  return new Promise(resolve => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

if (!(await canConnect('127.0.0.1', 5432))) {
  console.error(
    'npm test: PostgreSQL is not reachable on 127.0.0.1:5432; the database tests need it (see .ci/run).',
  );
  process.exit(1);
}

const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vastai-test-'));
// The browser tests' screenshots (the tab in the light and the dark theme) go here; printed at the end.
env.VASTAI_SCREENSHOTS_DIR ??= path.join(resultsDir, 'screenshots');
console.log(`npm test on Node ${process.version}`);

const durations = [];
/** Runs one step (a spawnSync call) and keeps how long it took for the summary. */
function timed(label, run) {
  console.log(`\n=== npm test: ${label} ===`);
  const started = Date.now();
  const result = run();
  durations.push(`${label.padEnd(44)} ${formatDuration(Date.now() - started)}`);
  return result;
}

function formatDuration(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function runJest(label, cwd, cliArgs) {
  const outputFile = path.join(resultsDir, `${label}.json`);
  const result = timed(label, () =>
    spawnSync(
      'npx',
      ['backstage-cli', ...cliArgs, '--json', `--outputFile=${outputFile}`],
      { cwd, env, stdio: 'inherit' },
    ),
  );
  let report;
  try {
    report = JSON.parse(fs.readFileSync(outputFile, 'utf8'));
  } catch {
    report = undefined;
  }
  return { status: result.status ?? 1, report };
}

const phases = [];
if (jestArgs.length === 0 && !skipStatic) {
  // Static checks first: they take seconds and say what is wrong precisely.
  for (const [label, cmd] of [
    ['type check', ['tsc', '--noEmit']],
    ['lint', ['backstage-cli', 'repo', 'lint']],
  ]) {
    const check = timed(label, () =>
      spawnSync('npx', cmd, { cwd: root, env, stdio: 'inherit' }),
    );
    if (check.status !== 0) {
      console.error(`npm test: ${label} failed`);
      phases.push({ status: 1, report: undefined });
    }
  }
}
phases.push(
  runJest('packages', root, [
    'repo',
    'test',
    ...jestArgs,
    ...(serverSide && jestArgs.length === 0 ? SERVER_SIDE_WORKSPACES : []),
  ]),
);

const e2eDir = path.join(root, 'test');
if (!skipE2e && jestArgs.length === 0) {
  // The browser tests load the built app from the backend; build it fresh so they test this tree.
  const build = timed('building packages/app for the browser tests', () =>
    spawnSync('npx', ['backstage-cli', 'package', 'build'], {
      cwd: path.join(root, 'packages/app'),
      env: {
        ...env,
        NODE_ENV: 'production',
        NODE_OPTIONS: '--max-old-space-size=6144',
      },
      stdio: 'inherit',
    }),
  );
  if (build.status !== 0) {
    console.error('npm test: building packages/app failed');
    phases.push({ status: 1, report: undefined });
  } else {
    phases.push(
      runJest('cross-package', e2eDir, ['package', 'test', '--runInBand']),
    );
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
let postgresPassed = 0;
let redisPassed = 0;
for (const { report } of phases) {
  if (!report) continue;
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'passed' && /POSTGRES/.test(t.fullName))
        postgresPassed += 1;
      // Only the two-replica suites count: a unit test named after a Redis cache id does not.
      if (
        t.status === 'passed' &&
        /REDIS/.test(t.fullName) &&
        /[\\/]test[\\/]src[\\/]replicas[\\/]/.test(suite.name ?? '')
      )
        redisPassed += 1;
    }
  }
}

let exitCode = phases.some(p => p.status !== 0 || !p.report) ? 1 : 0;
if (jestArgs.length === 0 && postgresPassed === 0) {
  console.error(
    'npm test: no PostgreSQL test passed; PostgreSQL was skipped, which CI does not accept.',
  );
  exitCode = 1;
}
if (jestArgs.length === 0 && !skipE2e && redisPassed === 0) {
  console.error(
    'npm test: no two-replica test passed on Redis (test/src/replicas, names with REDIS); the shared cache across replicas was not tested, which CI does not accept.',
  );
  exitCode = 1;
}
console.log(
  `\n=== npm test on Node ${process.version}: durations ===\n${durations.join(
    '\n',
  )}`,
);
console.log(`\nPostgreSQL tests passed: ${postgresPassed}`);
console.log(`Two-replica tests passed on Redis: ${redisPassed}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (fs.existsSync(env.VASTAI_SCREENSHOTS_DIR)) {
  console.log(
    `Screenshots (light and dark theme): ${env.VASTAI_SCREENSHOTS_DIR}`,
  );
}
process.exit(exitCode);
