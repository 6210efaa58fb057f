import type { Severity } from '@vastai-incident/backstage-plugin-common';
import { ageText, percent } from './evidence';
import {
  describeErrorClass,
  describeErrorRatio,
  Readings,
  SIGNAL_LABELS,
} from './readings';
import type { TriageThresholds } from './thresholds';
import type { FreshnessBudgets, TriageInput } from './types';
import { judgeVendorSide, OUTAGE_SHARE, VendorSide } from './vendorSide';

/** One thing that is wrong, how bad it is on the runbook's scale, and why, in words. */
export interface Finding {
  severity: Severity;
  reason: string;
}

/** The facts the tree, the severity and the actions all rest on, computed once. */
export interface Assessment extends VendorSide {
  /** Fallback is switched on (Kubernetes env first, the service's own health second). */
  fallbackOn: boolean;
  queueOn: boolean;
  authBreach: boolean;
  vendor5xxBreach: boolean;
  rateLimitBreach: boolean;
  latencyBreach: boolean;
  /** Evidence that the Vast.ai API is failing us: the runbook's first question is "yes" iff any. */
  apiFailures: Finding[];
  /** Errors below every threshold, errors that have stopped, switches left on (P3 / P4). */
  lesserErrors: Finding[];
  /** What the metrics say about our calls when Vast.ai returns no errors, or why they cannot say. */
  quietCallsEvidence: string;
  /** Evidence that our service itself is unwell (answers "is our service healthy?" with no). */
  serviceProblems: Finding[];
  /** Positive evidence that our service is up. */
  serviceLooksUp: boolean;
  /**
   * The status page can answer "is there an incident?". An old "no incident" cannot: status
   * pages often stop loading, or lag, during the very outage we are looking at.
   */
  statusDecides: boolean;
  /** Signals we could not read, were stale, or told us nothing: monitoring gaps (P4). */
  gaps: Finding[];
  /** Labels of the signals that could not be checked, for the verdict. */
  unchecked: string[];
  /** Labels (with age) of the signals too old to count, for the verdict. */
  staleLabels: string[];
}

function monitoringGaps(
  input: TriageInput,
  r: Readings,
  budgets: FreshnessBudgets,
) {
  const { metrics: m, probe, health, kube, status } = r;
  const gaps: Finding[] = [];
  const unchecked: string[] = [];
  const staleLabels: string[] = [];
  const unreadable: Record<keyof TriageInput, string | undefined> = {
    vendorStatus:
      status.known || status.notConfigured ? undefined : status.evidence,
    vendorApi: probe.verdict === 'unknown' ? probe.evidence : undefined,
    health: health.status ? undefined : health.evidence,
    metrics: m.gap,
    kubernetes: kube.known ? undefined : kube.evidence,
  };
  const ages = {
    vendorStatus: status.age,
    vendorApi: probe.age,
    health: health.age,
    metrics: m.age,
    kubernetes: kube.age,
  };
  for (const key of Object.keys(unreadable) as Array<keyof TriageInput>) {
    const gap = unreadable[key];
    const age = ages[key];
    if (gap) {
      gaps.push({ severity: 'P4', reason: gap });
      unchecked.push(SIGNAL_LABELS[key]);
    } else if (!age.fresh && !(key === 'vendorStatus' && !status.known)) {
      const old = ageText(age.seconds);
      gaps.push({
        severity: 'P4',
        reason: input[key].stale
          ? `${SIGNAL_LABELS[key]}: stale, its upstream is failing now (last value ${old} old)`
          : `${SIGNAL_LABELS[key]}: last read ${old} ago, older than its ${budgets[key]} s freshness budget`,
      });
      staleLabels.push(`${SIGNAL_LABELS[key]} (${old} old)`);
    }
  }
  return { gaps, unchecked, staleLabels };
}

export function assess(
  input: TriageInput,
  r: Readings,
  t: TriageThresholds,
  budgets: FreshnessBudgets,
): Assessment {
  const { metrics: m, probe, health, kube, status } = r;
  const fallbackOn =
    (kube.known ? kube.fallbackEnabled : undefined) ?? health.fallback === true;
  const queueOn = kube.queueMode;
  const above = (value: number | null, threshold: number) =>
    value !== null && value > threshold;
  const side = judgeVendorSide(r, t, fallbackOn);

  const authBreach = above(m.authPerMinute, t.authErrorsPerMinute);
  const vendor5xxBreach = above(m.vendor5xxPerMinute, t.vendor5xxPerMinute);
  const rateLimitBreach = above(m.rateLimitedPerMinute, t.rateLimitedPerMinute);
  const latencyBreach = above(m.p99Seconds, t.p99LatencySeconds);
  // Fallback turns a vendor outage into a degraded-but-up service: P1 becomes P2.
  const vendorDownSeverity: Severity = fallbackOn ? 'P2' : 'P1';
  const fallbackNote = fallbackOn
    ? '; fallback is on, users get cached offers'
    : '';

  const apiFailures: Finding[] = [];
  if (authBreach) {
    apiFailures.push({
      severity: 'P1',
      reason: describeErrorClass(m, '401/403', m.authPerMinute!),
    });
  }
  if (vendor5xxBreach) {
    apiFailures.push({
      severity: vendorDownSeverity,
      reason:
        describeErrorClass(m, '5xx', m.vendor5xxPerMinute!) + fallbackNote,
    });
  }
  if (rateLimitBreach) {
    const queueNote = queueOn
      ? '; queue mode is already on: ask Vast.ai for a higher limit'
      : '';
    apiFailures.push({
      severity: 'P2',
      reason: describeErrorClass(m, '429', m.rateLimitedPerMinute!) + queueNote,
    });
  }
  if (latencyBreach) {
    apiFailures.push({
      severity: 'P2',
      reason: `Vast.ai API: p99 latency ${m.p99Seconds!.toFixed(1)} s, above ${
        t.p99LatencySeconds
      } s${m.stale}`,
    });
  }
  if (side.unansweredBreach && !side.egressBlocked) {
    const either = side.vendorUnreachable
      ? '; our probe cannot reach Vast.ai either'
      : '';
    apiFailures.push({
      severity: m.unansweredShare >= OUTAGE_SHARE ? vendorDownSeverity : 'P2',
      reason: `Vast.ai API: no answer to ${percent(
        m.unansweredShare,
      )} of our calls (${Object.keys(m.errorClasses).join(', ')})${
        m.stale
      }${either}`,
    });
  }
  if (
    apiFailures.length === 0 &&
    !side.egressBlocked &&
    above(m.errorRatio, t.errorRatio)
  ) {
    apiFailures.push({ severity: 'P2', reason: describeErrorRatio(m, t) });
  }
  // Metrics are the primary evidence; the health flag decides only when they cannot be read.
  // While on fallback the service does not call Vast.ai, so "disconnected" is expected then.
  const disconnected = health.connected === false && !fallbackOn;
  if (disconnected && !m.readable)
    apiFailures.push({ severity: 'P1', reason: health.evidence });
  if (probe.verdict === 'vendor-down' || side.vendorUnreachable) {
    apiFailures.push({
      severity: vendorDownSeverity,
      reason: probe.evidence + fallbackNote,
    });
  }
  const apiErrors = apiFailures.length > 0;

  const lesserErrors: Finding[] = [];
  const anyErrors =
    (m.errorRatio ?? 0) > 0 ||
    Object.keys(m.errorClasses).length > 0 ||
    [m.authPerMinute, m.rateLimitedPerMinute, m.vendor5xxPerMinute].some(
      x => (x ?? 0) > 0,
    );
  if (!apiErrors && !side.egressBlocked && m.recentErrorsButNowQuiet) {
    lesserErrors.push({
      severity: 'P4',
      reason: `Vast.ai API: errors in the last hour, none now${m.stale}`,
    });
  } else if (!apiErrors && !side.egressBlocked && anyErrors) {
    lesserErrors.push({ severity: 'P3', reason: describeErrorRatio(m, t) });
  }
  const quietCallsEvidence =
    m.gap ??
    (side.egressBlocked
      ? `Vast.ai returns no errors: the service's calls get no answer at all (${percent(
          m.unansweredShare,
        )} of them)${m.stale}`
      : undefined) ??
    lesserErrors[0]?.reason ??
    `Vast.ai API: no errors on our calls${m.stale}`;
  if (!apiErrors && disconnected && !side.egressBlocked) {
    lesserErrors.push({
      severity: 'P3',
      reason: `${health.evidence}, though its metrics show no failing calls`,
    });
  }

  // Our service's own state. Its health wording is explained away by Vast.ai's trouble or fallback.
  const serviceProblems: Finding[] = [];
  if (kube.known && kube.down) {
    serviceProblems.push({
      severity: 'P1',
      reason: `the service is down: ${kube.evidence}`,
    });
  }
  if (kube.known && kube.podsUnhealthy)
    serviceProblems.push({ severity: 'P2', reason: kube.evidence });
  if (side.egressBlocked) {
    serviceProblems.push({
      severity: m.unansweredShare >= OUTAGE_SHARE ? 'P1' : 'P2',
      reason: side.egressEvidence!,
    });
  }
  const healthExplained =
    apiErrors ||
    fallbackOn ||
    health.fallback === true ||
    side.egressBlocked ||
    probe.verdict === 'slow';
  // Vendor errors explain an unhealthy service, unless fallback should be shielding it.
  if (health.status === 'unhealthy' && (!apiErrors || fallbackOn)) {
    serviceProblems.push({ severity: 'P1', reason: health.evidence });
  }
  if (health.status === 'degraded' && !healthExplained) {
    serviceProblems.push({ severity: 'P2', reason: health.evidence });
  }
  const serviceLooksUp =
    health.status === 'healthy' ||
    (health.status === 'degraded' && healthExplained) ||
    (kube.known && !kube.down && !kube.podsUnhealthy);

  const statusDecides = status.known && (status.incident || status.age.fresh);

  // Monitoring gaps: never read as fine, never as an outage.
  const { gaps, unchecked, staleLabels } = monitoringGaps(input, r, budgets);
  if (probe.verdict === 'inconclusive') {
    gaps.push({
      severity: 'P4',
      reason: `${probe.evidence}: our probe cannot vouch for Vast.ai`,
    });
  }
  if (side.portalCannotReach) {
    gaps.push({
      severity: 'P4',
      reason: `${probe.evidence}, while the service's calls get answers: the portal's network, not Vast.ai`,
    });
  }
  if (probe.verdict === 'slow' && !latencyBreach)
    gaps.push({ severity: 'P4', reason: probe.evidence });
  if (status.known && status.incident && !apiErrors) {
    gaps.push({
      severity: 'P4',
      reason: `${status.evidence}, not affecting our calls now`,
    });
  }

  // Switches left on after their cause has gone.
  if (fallbackOn && side.vendorHealthy) {
    lesserErrors.push({
      severity: 'P3',
      reason:
        'fallback is still on though Vast.ai looks healthy again: users get cached offers',
    });
  }
  if (queueOn && m.readable && m.rateLimitedPerMinute === 0) {
    lesserErrors.push({
      severity: 'P4',
      reason: 'queue mode is still on and Vast.ai sends no 429s now',
    });
  }

  return {
    ...side,
    fallbackOn,
    queueOn,
    authBreach,
    vendor5xxBreach,
    rateLimitBreach,
    latencyBreach,
    apiFailures,
    lesserErrors,
    quietCallsEvidence,
    serviceProblems,
    serviceLooksUp,
    statusDecides,
    gaps,
    unchecked,
    staleLabels,
  };
}
