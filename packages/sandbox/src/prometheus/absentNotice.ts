/**
 * The one start-up line for a sandbox running without Prometheus: what the portal shows meanwhile
 * and how to get the charts. The backend's metrics signal then reads "connection refused".
 */
export function prometheusAbsentNotice(turnedOff: boolean): string {
  const meanwhile =
    'the tab\'s charts show "No data" and triage judges from the other signals, reporting the metrics as a P4 monitoring gap';
  return turnedOff
    ? `off (SANDBOX_PROMETHEUS=0): ${meanwhile}`
    : `not installed: ${meanwhile}; for the charts: apt-get install prometheus (or set PROMETHEUS_BIN), then restart`;
}
