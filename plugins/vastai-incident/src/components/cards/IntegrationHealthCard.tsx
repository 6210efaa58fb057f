import Typography from '@material-ui/core/Typography';
import { IntegrationHealthValue } from '@vastai-incident/backstage-plugin-common';
import { findSignal, TriageCard } from './TriageCard';
import { SignalSummary } from './SignalSummary';

function yesNo(value: boolean | undefined): string {
  if (value === undefined) return 'not reported';
  return value ? 'yes' : 'no';
}

/** Is our integration service up, and is it in fallback? */
export function IntegrationHealthCard() {
  return (
    <TriageCard title="Integration health">
      {(report, now) => {
        const health = findSignal<IntegrationHealthValue>(
          report,
          'integration-health',
        );
        const value = health?.value;
        return (
          <>
            <SignalSummary signal={health} now={now} label="Health endpoint" />
            {value && (
              <Typography variant="body2">
                Connected to Vast.ai: {yesNo(value.vastaiConnected)} · Fallback
                active: {yesNo(value.fallback)}
              </Typography>
            )}
          </>
        );
      }}
    </TriageCard>
  );
}

export default IntegrationHealthCard;
