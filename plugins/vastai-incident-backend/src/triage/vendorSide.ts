import { ageText, percent } from './evidence';
import type { Readings } from './readings';
import type { TriageThresholds } from './thresholds';

/*
 * "Is it Vast.ai or us?" from our own probe (the portal's network, the operator key) set against
 * the service's own calls. Neither alone can tell: our probe failing while the service's calls get
 * answers is the portal's network; the service failing while our probe gets answers is ours.
 */

export interface VendorSide {
  /** The service's calls that got no answer at all are above the error-ratio line. */
  unansweredBreach: boolean;
  /** Our probe cannot reach Vast.ai and nothing shows the service reaching it: Vast.ai's side. */
  vendorUnreachable: boolean;
  /** Our probe cannot reach Vast.ai but the service's calls get answers: the portal's network. */
  portalCannotReach: boolean;
  /**
   * The service's calls cannot connect while our probe reaches Vast.ai now: our network or
   * egress. (Timeouts alone are not enough: Vast.ai can leave some calls hanging.)
   */
  egressBlocked: boolean;
  /** Our probe answers OK now (within its freshness budget): Vast.ai works from the portal. */
  probeOkNow: boolean;
  /** Our probe independently shows a Vast.ai-side problem matching what we see. */
  confirmsVendorSide: boolean;
  /** What the Vast.ai-side problem is, for the verdict's words. */
  vendorTrouble?: 'unreachable' | 'slow' | 'errors';
  /**
   * Fresh evidence that Vast.ai is healthy: our probe answers OK within its freshness budget,
   * the service's current metrics show its calls succeeding, and nothing says otherwise.
   * Reverts (fallback off, direct mode) need it.
   */
  vendorHealthy: boolean;
  /** Words for the egress finding. */
  egressEvidence?: string;
}

/** Most calls failing is an outage, not a degradation. */
export const OUTAGE_SHARE = 0.5;

export function judgeVendorSide(
  r: Readings,
  t: TriageThresholds,
  fallbackOn: boolean,
): VendorSide {
  const { metrics: m, probe, status } = r;
  const above = (value: number | null, threshold: number) =>
    value !== null && value > threshold;
  const serviceCalling = !fallbackOn;
  const unansweredBreach = m.readable && m.unansweredShare > t.errorRatio;
  const probeAnswers = probe.verdict === 'ok' || probe.verdict === 'slow';
  // Current metrics of a calling service, showing its calls answered by Vast.ai (errors or not).
  const serviceGetsAnswers =
    serviceCalling && m.readable && m.age.fresh && !unansweredBreach;
  const probeUnreachable = probe.verdict === 'unreachable';
  const vendorUnreachable = probeUnreachable && !serviceGetsAnswers;
  const egressBlocked =
    serviceCalling &&
    m.readable &&
    m.connectFailureShare > t.errorRatio &&
    probeAnswers &&
    probe.age.fresh;
  const latencyBreach = above(m.p99Seconds, t.p99LatencySeconds);

  let vendorTrouble: VendorSide['vendorTrouble'];
  if (vendorUnreachable) vendorTrouble = 'unreachable';
  else if (probe.verdict === 'vendor-down') vendorTrouble = 'errors';
  else if (probe.verdict === 'slow' && latencyBreach) vendorTrouble = 'slow';

  const vendorHealthy =
    probe.verdict === 'ok' &&
    probe.age.fresh &&
    !(status.known && status.incident) &&
    m.readable &&
    m.age.fresh &&
    !unansweredBreach &&
    !latencyBreach &&
    !above(m.vendor5xxPerMinute, t.vendor5xxPerMinute) &&
    !above(m.errorRatio, t.errorRatio);

  const classes = Object.keys(m.errorClasses).join(', ');
  return {
    unansweredBreach,
    vendorUnreachable,
    portalCannotReach: probeUnreachable && serviceGetsAnswers,
    probeOkNow: probe.verdict === 'ok' && probe.age.fresh,
    egressBlocked,
    confirmsVendorSide: vendorTrouble !== undefined,
    vendorTrouble,
    vendorHealthy,
    egressEvidence: egressBlocked
      ? `the service cannot reach Vast.ai: no answer to ${percent(
          m.unansweredShare,
        )} of its calls (${classes})${
          m.stale
        }, while our probe from the portal's network reaches it (${probe.shown.text.replace(
          /^Vast\.ai /,
          '',
        )}, ${ageText(probe.age.seconds)} ago): our network or egress`
      : undefined,
  };
}
