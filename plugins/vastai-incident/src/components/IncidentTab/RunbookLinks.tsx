import type {
  Incident,
  TriageLinks,
} from '@vastai-incident/backstage-plugin-common';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import OpenInNewIcon from '@material-ui/icons/OpenInNew';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  icon: { fontSize: '0.9rem', verticalAlign: 'text-bottom', marginLeft: 2 },
  // Read by screen readers, not drawn: the icon says the same to sighted users.
  hidden: {
    position: 'absolute',
    width: 1,
    height: 1,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    whiteSpace: 'nowrap',
  },
});

/**
 * The URL when it is an absolute http(s) URL, else undefined: the report comes over the network,
 * so a `javascript:` or `data:` value never becomes an href, whatever the backend sent.
 */
export function safeHttpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? url.href
      : undefined;
  } catch {
    return undefined;
  }
}

const EXTERNAL: Array<{ key: keyof TriageLinks; title: string }> = [
  { key: 'runbook', title: 'Runbook' },
  { key: 'vendorStatus', title: 'Vast.ai status page' },
  { key: 'vendorSupport', title: 'Vast.ai support' },
];

/**
 * Where the runbook sends people: the runbook itself, Vast.ai's status page and support (each in a
 * new tab, without giving the opened page a handle on this one), and the open incident below.
 */
export function RunbookLinks(props: {
  links?: TriageLinks;
  openIncident?: Incident;
}) {
  const classes = useStyles();
  const links =
    props.links && typeof props.links === 'object' ? props.links : {};
  const items = EXTERNAL.flatMap(({ key, title }) => {
    const href = safeHttpUrl(links[key]);
    return href ? [{ key, title, href }] : [];
  });
  if (items.length === 0 && !props.openIncident) return null;
  return (
    <nav aria-label="Runbook links" data-testid="vastai-links">
      <Typography variant="body2" component="p">
        See also:{' '}
        {items.map((item, index) => (
          <span key={item.key}>
            {index > 0 && ' · '}
            <Link
              underline="always"
              href={item.href}
              target="_blank"
              rel="noopener noreferrer"
              data-testid={`vastai-link-${item.key}`}
            >
              {item.title}
              <OpenInNewIcon className={classes.icon} aria-hidden />
              <span className={classes.hidden}> (opens in a new tab)</span>
            </Link>
          </span>
        ))}
        {props.openIncident && (
          <span>
            {items.length > 0 && ' · '}
            <Link
              underline="always"
              href="#vastai-section-incident"
              data-testid="vastai-link-incident"
            >
              Open incident ({props.openIncident.severity})
            </Link>
          </span>
        )}
      </Typography>
    </nav>
  );
}
