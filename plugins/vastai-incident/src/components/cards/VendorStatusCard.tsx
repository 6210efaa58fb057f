import Typography from '@material-ui/core/Typography';
import { VendorStatusValue } from '@vastai-incident/backstage-plugin-common';
import { findSignal, TriageCard } from './TriageCard';
import { SignalSummary } from './SignalSummary';

/** Is Vast.ai itself in trouble? Its status page and our own API probe. */
export function VendorStatusCard() {
  return (
    <TriageCard title="Vast.ai status">
      {(report, now) => {
        const status = findSignal<VendorStatusValue>(report, 'vendor-status');
        const incidents = Array.isArray(status?.value?.incidents)
          ? status!.value!.incidents
          : [];
        return (
          <>
            <SignalSummary signal={status} now={now} label="Status page" />
            {incidents.length > 0 && (
              <ul aria-label="Open vendor incidents">
                {incidents.map((incident, index) => (
                  <li key={index}>
                    <Typography variant="body2">
                      {incident.name} ({incident.status}, impact{' '}
                      {incident.impact})
                    </Typography>
                  </li>
                ))}
              </ul>
            )}
            <SignalSummary
              signal={findSignal(report, 'vendor-api')}
              now={now}
              label="Our API probe"
            />
          </>
        );
      }}
    </TriageCard>
  );
}

export default VendorStatusCard;
