import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { SignalState } from '@vastai-incident/backstage-plugin-common';

const STATE_TEXT: Record<SignalState, string> = {
  ok: 'OK',
  degraded: 'Degraded',
  failing: 'Failing',
  unknown: 'Unknown',
};

/**
 * A signal's state as an icon AND a word (never colour alone); a stale value
 * says so in words too.
 */
export function SignalStateLabel(props: { state?: string; stale?: boolean }) {
  const state = (props.state ?? 'unknown') as SignalState;
  const text = `${STATE_TEXT[state] ?? String(props.state)}${
    props.stale ? ' (stale)' : ''
  }`;
  switch (state) {
    case 'ok':
      return props.stale ? (
        <StatusWarning>{text}</StatusWarning>
      ) : (
        <StatusOK>{text}</StatusOK>
      );
    case 'degraded':
      return <StatusWarning>{text}</StatusWarning>;
    case 'failing':
      return <StatusError>{text}</StatusError>;
    default:
      return <StatusPending>{text}</StatusPending>;
  }
}
