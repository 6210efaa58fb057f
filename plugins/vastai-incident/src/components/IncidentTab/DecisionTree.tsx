import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  Branch,
  DECISION_EDGES,
  DECISION_LEAF_ORDER,
  DECISION_LEAVES,
  DECISION_QUESTIONS,
  DECISION_ROOT,
  DecisionEdge,
  DecisionQuestion,
  DecisionStep,
  EvidenceReading,
  isDecisionQuestion,
  SignalSource,
} from '@vastai-incident/backstage-plugin-common';
import { edgeKey, litPath, LitTree } from './litPath';

/** Horizontal centre of each node, in % of the tree's width (five equal columns). */
const CENTER: Record<string, number> = {
  'vendor-api-errors': 50,
  'vendor-status-incident': 20,
  'service-healthy': 70,
  'vendor-incident': 10,
  'our-integration': 30,
  'resolved-or-intermittent': 50,
  healthy: 70,
  'our-infrastructure': 90,
};

const STRIP_HEIGHT = 56;

// A hatched fill: an unknown answer is told by pattern and words, not by colour.
const HATCH =
  'repeating-linear-gradient(135deg, transparent 0 6px, rgba(127,127,127,0.22) 6px 9px)';

const useStyles = makeStyles(theme => ({
  scroller: { overflowX: 'auto' },
  tree: {
    display: 'grid',
    gridTemplateColumns: 'repeat(5, minmax(120px, 1fr))',
    minWidth: 720,
    columnGap: theme.spacing(1),
  },
  node: {
    justifySelf: 'center',
    width: '100%',
    boxSizing: 'border-box',
    padding: theme.spacing(1),
    borderRadius: theme.shape.borderRadius,
    border: `1px solid ${theme.palette.divider}`,
    background: theme.palette.background.paper,
    color: theme.palette.text.secondary,
  },
  question: { maxWidth: 340 },
  onPath: {
    border: `3px solid ${theme.palette.primary.main}`,
    color: theme.palette.text.primary,
  },
  reached: {
    border: `3px solid ${theme.palette.primary.main}`,
    color: theme.palette.text.primary,
    boxShadow: theme.shadows[3],
  },
  unknown: { backgroundImage: HATCH, borderStyle: 'dashed' },
  marker: {
    display: 'inline-block',
    fontWeight: theme.typography.fontWeightBold as number,
    fontSize: '0.75rem',
    textTransform: 'uppercase',
    letterSpacing: 0.5,
    color: theme.palette.primary.main,
  },
  strip: { gridColumn: '1 / 6', position: 'relative', height: STRIP_HEIGHT },
  svg: { position: 'absolute', inset: 0, width: '100%', height: '100%' },
  edgeLabel: {
    position: 'absolute',
    top: STRIP_HEIGHT / 2 + 2,
    transform: 'translateX(-50%)',
    padding: '0 4px',
    fontSize: '0.75rem',
    lineHeight: 1.4,
    whiteSpace: 'nowrap',
    background: theme.palette.background.paper,
    color: theme.palette.text.secondary,
  },
  edgeLabelLit: {
    color: theme.palette.text.primary,
    fontWeight: theme.typography.fontWeightBold as number,
  },
  evidence: { whiteSpace: 'normal', overflowWrap: 'anywhere' },
  readings: {
    listStyle: 'none',
    margin: theme.spacing(0.5, 0, 0),
    padding: 0,
    fontSize: '0.75rem',
  },
  reading: { overflowWrap: 'anywhere' },
  tag: {
    display: 'inline-block',
    marginLeft: theme.spacing(0.5),
    padding: '0 4px',
    borderRadius: 3,
    border: `1px solid ${theme.palette.divider}`,
    whiteSpace: 'nowrap',
  },
  staleTag: { borderStyle: 'dashed', fontStyle: 'italic' },
}));

const SOURCE_LABEL: Record<SignalSource, string> = {
  'vendor-status': 'Status page',
  'vendor-api': 'Our probe',
  'integration-health': 'Service health',
  metrics: 'Service calls',
  kubernetes: 'Pods',
};

function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function age(seconds: number): string {
  if (!(seconds >= 0)) return 'age unknown';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** The tags of one reading: its age (or staleness), latency against the usual, unreachable. */
export function readingTags(r: EvidenceReading): string[] {
  const tags = [
    r.stale ? `stale, read ${age(r.ageSeconds)}` : age(r.ageSeconds),
  ];
  if (r.unreachable) tags.push('unreachable');
  else if (typeof r.latencyMs === 'number') {
    tags.push(
      typeof r.baselineLatencyMs === 'number'
        ? `${duration(r.latencyMs)}, usually ${duration(r.baselineLatencyMs)}`
        : duration(r.latencyMs),
    );
  }
  return tags;
}

/** The readings a decision rests on, each with its age: drawn on the lit path only. */
function Readings(props: { question: string; readings: EvidenceReading[] }) {
  const classes = useStyles();
  return (
    <ul className={classes.readings} aria-label="Readings">
      {props.readings.map(r => (
        <li
          key={r.source}
          className={classes.reading}
          data-testid={`vastai-tree-reading-${props.question}-${r.source}`}
          data-stale={r.stale ? 'true' : 'false'}
        >
          {SOURCE_LABEL[r.source] ?? r.source}: {r.text}
          {readingTags(r).map(tag => (
            <span
              key={tag}
              className={`${classes.tag} ${
                tag.startsWith('stale') ? classes.staleTag : ''
              }`}
            >
              {tag}
            </span>
          ))}
        </li>
      ))}
    </ul>
  );
}

const ANSWER_TEXT: Record<string, string> = {
  yes: 'Yes',
  no: 'No',
  unknown: 'Unknown (could not tell)',
};

function QuestionNode(props: {
  id: DecisionQuestion;
  lit: LitTree;
  gridColumn: string;
}) {
  const classes = useStyles();
  const { id, lit } = props;
  const step = lit.steps.get(id);
  const onPath = lit.nodes.has(id);
  const unknown = step?.answer === 'unknown';
  const went = DECISION_EDGES.find(
    e => e.from === id && lit.edges.has(edgeKey(id, e.to)),
  );
  const answerText = step
    ? ANSWER_TEXT[step.answer] ?? String(step.answer ?? 'No answer')
    : undefined;
  // Readings are drawn on the lit path only; malformed ones (an older backend) are skipped.
  const readings =
    onPath && Array.isArray(step?.readings)
      ? step!.readings.filter(r => r && typeof r.text === 'string')
      : [];
  const label = [
    `Question: ${DECISION_QUESTIONS[id]}`,
    onPath ? 'on the path taken' : 'not on the path taken',
    answerText ? `answer: ${answerText}` : '',
    unknown && went ? `went the "${went.answer}" way on other evidence` : '',
    step?.evidence ? `evidence: ${step.evidence}` : '',
    readings.length
      ? `readings: ${readings
          .map(r => `${r.text} (${readingTags(r).join(', ')})`)
          .join('; ')}`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
  return (
    <div
      role="group"
      aria-label={label}
      data-testid={`vastai-tree-node-${id}`}
      data-on-path={onPath ? 'true' : 'false'}
      data-answer={step?.answer ?? ''}
      className={[
        classes.node,
        classes.question,
        onPath ? classes.onPath : '',
        unknown ? classes.unknown : '',
      ].join(' ')}
      style={{ gridColumn: props.gridColumn }}
    >
      {onPath && <span className={classes.marker}>✓ Asked</span>}
      <Typography variant="subtitle2" component="p">
        {DECISION_QUESTIONS[id]}
      </Typography>
      {step && (
        <Typography variant="body2" component="p">
          Answer: <strong>{answerText}</strong>
          {unknown && went && <> (went “{went.answer}” on other evidence)</>}
        </Typography>
      )}
      {step?.evidence && (
        <Typography
          variant="caption"
          component="p"
          className={classes.evidence}
        >
          Evidence: {step.evidence}
        </Typography>
      )}
      {readings.length > 0 && <Readings question={id} readings={readings} />}
    </div>
  );
}

function LeafNode(props: { id: Branch; lit: LitTree }) {
  const classes = useStyles();
  const { id, lit } = props;
  const reached = lit.leaf === id;
  const { title, advice } = DECISION_LEAVES[id];
  return (
    <div
      role="group"
      aria-label={`Outcome: ${title}. ${advice}${
        reached ? ' This is where the triage ended.' : ''
      }`}
      aria-current={reached ? 'step' : undefined}
      data-testid={`vastai-tree-leaf-${id}`}
      data-on-path={reached ? 'true' : 'false'}
      className={[classes.node, reached ? classes.reached : ''].join(' ')}
    >
      {reached && <span className={classes.marker}>▶ Triage ended here</span>}
      <Typography variant="subtitle2" component="p">
        {title}
      </Typography>
      <Typography variant="caption" component="p">
        {advice}
      </Typography>
    </div>
  );
}

/** Elbow connectors from parents to children, the taken ones drawn thick (and last, on top). */
function ConnectorStrip(props: { edges: DecisionEdge[]; lit: LitTree }) {
  const classes = useStyles();
  const h = STRIP_HEIGHT;
  const ordered = [...props.edges].sort(
    (a, b) =>
      Number(props.lit.edges.has(edgeKey(a.from, a.to))) -
      Number(props.lit.edges.has(edgeKey(b.from, b.to))),
  );
  return (
    <div className={classes.strip}>
      <svg
        className={classes.svg}
        viewBox={`0 0 100 ${h}`}
        preserveAspectRatio="none"
        aria-hidden="true"
        focusable="false"
      >
        {ordered.map(edge => {
          const taken = props.lit.edges.has(edgeKey(edge.from, edge.to));
          const unknown =
            taken && props.lit.steps.get(edge.from)?.answer === 'unknown';
          const x1 = CENTER[edge.from];
          const x2 = CENTER[edge.to];
          return (
            <path
              key={edgeKey(edge.from, edge.to)}
              data-taken={taken ? 'true' : 'false'}
              d={`M${x1},0 V${h / 2} H${x2} V${h}`}
              fill="none"
              stroke="currentColor"
              strokeWidth={taken ? 3 : 1}
              strokeOpacity={taken ? 1 : 0.45}
              strokeDasharray={unknown ? '6 4' : undefined}
              vectorEffect="non-scaling-stroke"
            />
          );
        })}
      </svg>
      {props.edges.map(edge => {
        const taken = props.lit.edges.has(edgeKey(edge.from, edge.to));
        const unknown =
          taken && props.lit.steps.get(edge.from)?.answer === 'unknown';
        return (
          <span
            key={edgeKey(edge.from, edge.to)}
            className={`${classes.edgeLabel} ${
              taken ? classes.edgeLabelLit : ''
            }`}
            style={{ left: `${CENTER[edge.to]}%` }}
            data-testid={`vastai-tree-edge-${edge.from}-${edge.to}`}
            data-taken={taken ? 'true' : 'false'}
          >
            {taken ? '✓ ' : ''}
            {unknown ? `unknown → ${edge.answer}` : edge.answer}
            {edge.note ? `, ${edge.note}` : ''}
          </span>
        );
      })}
    </div>
  );
}

/**
 * The runbook's decision tree, all of it, with the path the triage took lit:
 * thick outlines and ✓ marks on the way, the reached outcome marked
 * `aria-current="step"`, unknown answers hatched and dashed and said in words.
 */
export function DecisionTree(props: {
  path?: DecisionStep[];
  branch?: string;
}) {
  const classes = useStyles();
  const lit = litPath(props.path, props.branch);
  const extra = (Array.isArray(props.path) ? props.path : []).filter(
    s => s && typeof s.question === 'string' && !isDecisionQuestion(s.question),
  );
  return (
    <Box>
      <div className={classes.scroller}>
        <div
          className={classes.tree}
          role="group"
          aria-label="Runbook decision tree"
          data-testid="vastai-decision-tree"
          data-branch={lit.leaf ?? ''}
        >
          <QuestionNode id={DECISION_ROOT} lit={lit} gridColumn="2 / 5" />
          <ConnectorStrip
            edges={DECISION_EDGES.filter(e => e.from === DECISION_ROOT)}
            lit={lit}
          />
          <QuestionNode
            id="vendor-status-incident"
            lit={lit}
            gridColumn="1 / 3"
          />
          <QuestionNode id="service-healthy" lit={lit} gridColumn="3 / 6" />
          <ConnectorStrip
            edges={DECISION_EDGES.filter(e => e.from !== DECISION_ROOT)}
            lit={lit}
          />
          {DECISION_LEAF_ORDER.map(id => (
            <LeafNode key={id} id={id} lit={lit} />
          ))}
        </div>
      </div>
      {lit.steps.size === 0 && (
        <Typography variant="body2" color="textSecondary">
          The backend did not report a decision path.
        </Typography>
      )}
      {extra.map((step, index) => (
        <Typography key={index} variant="body2">
          {step.question}: <strong>{String(step.answer ?? 'No answer')}</strong>
          {step.evidence ? ` · Evidence: ${step.evidence}` : ''}
        </Typography>
      ))}
      <Typography variant="caption" color="textSecondary" component="p">
        Thick outline and ✓: the path the triage took, with the readings behind
        each decision and their age. Hatched, dashed outline: the answer was
        unknown and the other evidence decided the way.
      </Typography>
    </Box>
  );
}
