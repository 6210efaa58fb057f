import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';

/** The tab's sections below the summary, in page order, with their anchors. */
export const TAB_SECTIONS = [
  { id: 'vastai-section-tree', title: 'Decision tree' },
  { id: 'vastai-section-signals', title: 'Signals' },
  { id: 'vastai-section-charts', title: 'Charts' },
  { id: 'vastai-section-pods', title: 'Pods' },
  { id: 'vastai-section-logs', title: 'Logs' },
  { id: 'vastai-section-remediation', title: 'Remediation and history' },
  { id: 'vastai-section-incident', title: 'Incident' },
] as const;

export type TabSectionId = (typeof TAB_SECTIONS)[number]['id'];

/** In-page links to the rest of the tab: the summary answers first, the detail stays a click away. */
export function JumpNav() {
  return (
    <nav aria-label="Jump to section" data-testid="vastai-jump-nav">
      <Typography variant="body2" component="p">
        Jump to:{' '}
        {TAB_SECTIONS.map((section, index) => (
          <span key={section.id}>
            {index > 0 && ' · '}
            <Link underline="always" href={`#${section.id}`}>
              {section.title}
            </Link>
          </span>
        ))}
      </Typography>
    </nav>
  );
}
