import type { StatusPageMode } from '../statuspage/statusPageServer';
import type { ScenarioName } from './scenarios';

/*
 * What a right triage concludes in each scenario, whatever the status page does: the oracle of
 * the cross-product tests (every scenario x every status page mode x every health shape), for
 * the pure triage over recorded signals and for the running stack alike.
 */

/** How the product reads the vendor's status: one of the page's modes, or no source at all. */
export type StatusSource = StatusPageMode | 'none';
export const STATUS_SOURCES: readonly StatusSource[] = [
  'json',
  'html',
  'garbage',
  'hang',
  'none',
];
export const HEALTH_SHAPES = [1, 2, 3] as const;

export interface ExpectedVerdict {
  branch:
    | 'healthy'
    | 'vendor-incident'
    | 'our-integration'
    | 'our-infrastructure'
    | 'resolved-or-intermittent';
  severity: 'P1' | 'P2' | 'P3' | 'P4' | null;
  /** Whose side the verdict names. */
  side: 'vastai' | 'ours' | 'none';
  /**
   * Exactly the actions to recommend: anything else would not help or would make it worse
   * (a revert while Vast.ai is down, a key rotation for a network problem).
   */
  actions: string[];
}

const VERDICTS: Record<ScenarioName, ExpectedVerdict> = {
  healthy: { branch: 'healthy', severity: null, side: 'none', actions: [] },
  'vendor-outage': {
    branch: 'vendor-incident',
    severity: 'P1',
    side: 'vastai',
    actions: ['enable-fallback'],
  },
  'auth-failure': {
    branch: 'our-integration',
    severity: 'P1',
    side: 'ours',
    actions: ['rotate-api-key'],
  },
  'rate-limited': {
    branch: 'our-integration',
    severity: 'P2',
    side: 'ours',
    actions: ['queue-mode'],
  },
  'degraded-latency': {
    branch: 'vendor-incident',
    severity: 'P2',
    side: 'vastai',
    actions: ['enable-fallback'],
  },
  'pods-crashing': {
    branch: 'our-infrastructure',
    severity: 'P1',
    side: 'ours',
    actions: ['rollout-restart'],
  },
  'minor-errors': {
    branch: 'resolved-or-intermittent',
    severity: 'P3',
    side: 'none',
    actions: [],
  },
  'monitoring-gap': {
    branch: 'resolved-or-intermittent',
    severity: 'P4',
    side: 'none',
    actions: [],
  },
  recovered: {
    branch: 'resolved-or-intermittent',
    severity: 'P4',
    side: 'none',
    actions: [],
  },
  'vendor-unreachable': {
    branch: 'vendor-incident',
    severity: 'P1',
    side: 'vastai',
    actions: ['enable-fallback'],
  },
  'egress-blocked': {
    branch: 'our-infrastructure',
    severity: 'P1',
    side: 'ours',
    actions: [],
  },
  'vendor-slow-silent': {
    branch: 'vendor-incident',
    severity: 'P2',
    side: 'vastai',
    actions: ['enable-fallback'],
  },
};

/**
 * The right verdict for a scenario under a status source. Only one thing depends on the status
 * page: with nothing else wrong, a page that cannot be read is a monitoring gap (P4), while no
 * configured source is a choice and leaves "healthy" healthy.
 */
export function expectedVerdict(
  scenario: ScenarioName,
  status: StatusSource,
): ExpectedVerdict {
  const verdict = VERDICTS[scenario];
  const unreadable = status !== 'json' && status !== 'none';
  if (verdict.branch === 'healthy' && unreadable)
    return { ...verdict, branch: 'resolved-or-intermittent', severity: 'P4' };
  return verdict;
}
