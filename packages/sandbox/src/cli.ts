/* eslint-disable no-console */
import { DEFAULT_BASE_PORT, portsFromBase } from './config';
import { prometheusAbsentNotice } from './prometheus/absentNotice';
import { isScenarioName, SCENARIO_NAMES } from './scenarios/scenarios';

const usage = `usage:
  tsx src/cli.ts start            start the sandbox on the README's ports
                                  (env SANDBOX_BASE_PORT, SANDBOX_SCENARIO, SANDBOX_PROMETHEUS=0, SANDBOX_STATE_DIR)
  tsx src/cli.ts scenario NAME    switch the running sandbox to a scenario (PUT /scenario on the control port)
scenarios: ${SCENARIO_NAMES.join(', ')}`;

function basePort(): number {
  const raw = process.env.SANDBOX_BASE_PORT;
  if (!raw) return DEFAULT_BASE_PORT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65000)
    throw new Error(
      `SANDBOX_BASE_PORT must be a port number, got ${JSON.stringify(raw)}`,
    );
  return n;
}

async function start() {
  const initial = process.env.SANDBOX_SCENARIO ?? 'healthy';
  if (!isScenarioName(initial)) {
    console.error(
      `unknown SANDBOX_SCENARIO ${JSON.stringify(
        initial,
      )}; valid scenarios: ${SCENARIO_NAMES.join(', ')}`,
    );
    process.exit(1);
  }
  const { startSandbox } = await import('./index');
  const sandbox = await startSandbox({
    ports: portsFromBase(basePort()),
    scenario: initial,
    prometheus: process.env.SANDBOX_PROMETHEUS !== '0',
    stateDir: process.env.SANDBOX_STATE_DIR || undefined,
  });
  const u = sandbox.urls;
  console.log(`vastai sandbox running, scenario "${sandbox.scenario().name}"`);
  console.log(
    `  control             ${u.control}   (PUT /scenario {"name": ...})`,
  );
  console.log(`  vast.ai api         ${u.vastApi}/api/v0/`);
  console.log(`  status page         ${u.statusPage}/api/v2/summary.json`);
  for (const [name, url] of Object.entries(u.services))
    console.log(`  ${name.padEnd(19)} ${url}/health  ${url}/metrics`);
  console.log(
    `  kubernetes          ${u.kubernetes}   (namespace vastai; bearer token for the Backstage plugin in app-config)`,
  );
  console.log(
    `  kubernetes (TLS)    ${u.kubernetesTls}   for kubectl: KUBECONFIG=${u.kubeconfig} kubectl get pods`,
  );
  console.log(
    `  receivers           ${u.receivers}/slack/webhook/:id  ${u.receivers}/statuspage/v1/pages/:page/incidents`,
  );
  console.log(`  pagerduty events    ${u.pagerduty}`);
  console.log(
    `  prometheus          ${
      u.prometheus ??
      prometheusAbsentNotice(process.env.SANDBOX_PROMETHEUS === '0')
    }`,
  );
  console.log(
    '  operator key        from $SANDBOX_VAST_OPERATOR_KEY (default documented in the README; never printed)',
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping sandbox ...');
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function scenario(name: string | undefined) {
  if (!name || !isScenarioName(name)) {
    console.error(
      `unknown scenario ${JSON.stringify(
        name ?? '',
      )}; valid scenarios: ${SCENARIO_NAMES.join(', ')}`,
    );
    process.exit(1);
  }
  const control =
    process.env.SANDBOX_CONTROL_URL ?? `http://127.0.0.1:${basePort()}`;
  let res: Response;
  try {
    res = await fetch(`${control}/scenario`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error: any) {
    console.error(
      `cannot reach the sandbox control API at ${control} (${
        error?.cause?.code ?? error?.message
      }); is \`npm run sandbox\` running?`,
    );
    process.exit(1);
  }
  const text = await res.text();
  if (!res.ok) {
    console.error(`PUT ${control}/scenario failed: ${res.status} ${text}`);
    process.exit(1);
  }
  console.log(text);
}

async function main() {
  const [command, arg] = process.argv.slice(2);
  if (command === 'start') return start();
  if (command === 'scenario') return scenario(arg);
  console.error(usage);
  return process.exit(command ? 1 : 0);
}

main().catch(error => {
  console.error(error?.message ?? error);
  process.exit(1);
});
