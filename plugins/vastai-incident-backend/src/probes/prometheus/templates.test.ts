import { parser } from '@prometheus-io/lezer-promql';
import { METRIC_QUERY_IDS } from '@vastai-incident/backstage-plugin-common';
import {
  INTERNAL_TEMPLATES,
  promqlString,
  rangeBounds,
  renderQuery,
  AnyTemplateId,
} from './templates';

/** Go-style unquoting of a PromQL double-quoted literal (the escapes promqlString emits). */
function unquote(literal: string): string {
  expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true);
  return literal
    .slice(1, -1)
    .replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt"\\])/g, (_m, esc: string) => {
      if (esc[0] === 'x' || esc[0] === 'u')
        return String.fromCharCode(parseInt(esc.slice(1), 16));
      return (
        { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' } as Record<
          string,
          string
        >
      )[esc];
    });
}

interface Matcher {
  label: string;
  value: string;
}

/** Parses with the Prometheus grammar; fails on any syntax error; returns the label matchers. */
function matchersOf(query: string): Matcher[] {
  const tree = parser.parse(query);
  const matchers: Matcher[] = [];
  let errors = 0;
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors++;
      if (
        node.name === 'UnquotedLabelMatcher' ||
        node.name === 'QuotedLabelMatcher'
      ) {
        const label = node.node.getChild('LabelName');
        const value = node.node.getChild('StringLiteral');
        matchers.push({
          label: label ? query.slice(label.from, label.to) : '?',
          value: value ? unquote(query.slice(value.from, value.to)) : '?',
        });
      }
    },
  });
  expect(errors).toBe(0);
  return matchers;
}

const HOSTILE = [
  'vastai-integration',
  'a"b',
  '"} or vector(1)',
  '"} or vector(1) or up{job="',
  'x\\"} or vector(1) #',
  'line\nbreak',
  'tab\there\rcr',
  '{}{}}}{{',
  "it's",
  '\\',
  '\\\\"',
  '`backtick`',
  'ünïcödé 🚀',
  '\u0000nul\u0007bell\u001b[31m',
  'job=~".+"',
  ']) or vector(1) #',
];

const ALL_IDS: AnyTemplateId[] = [
  ...METRIC_QUERY_IDS,
  ...(Object.keys(INTERNAL_TEMPLATES) as AnyTemplateId[]),
];

describe('PromQL templates', () => {
  const benign = Object.fromEntries(
    ALL_IDS.map(id => [
      id,
      matchersOf(renderQuery(id, { job: 'svc', rateWindow: '5m' })),
    ]),
  );

  it.each(HOSTILE)('keep one job matcher per selector for %j', job => {
    for (const id of ALL_IDS) {
      const query = renderQuery(id, { job, rateWindow: '5m' });
      const matchers = matchersOf(query);
      // Same matcher structure as with a benign value...
      expect(matchers.map(m => m.label)).toEqual(benign[id].map(m => m.label));
      // ...and every job matcher carries exactly the hostile value, nothing leaked out of it.
      const jobMatchers = matchers.filter(m => m.label === 'job');
      expect(jobMatchers.length).toBeGreaterThan(0);
      for (const m of jobMatchers) expect(m.value).toBe(job);
      expect(query).not.toMatch(/vector\(1\)(?![^"]*")/);
    }
  });

  it('random strings never break out of the literal', () => {
    const alphabet = [
      '"',
      '\\',
      '{',
      '}',
      '(',
      ')',
      '\n',
      ' ',
      'o',
      'r',
      '=',
      '~',
      ',',
      '#',
      'a',
      '`',
      "'",
    ];
    for (let i = 0; i < 500; i++) {
      let job = '';
      const length = 1 + Math.floor(Math.random() * 20);
      for (let j = 0; j < length; j++)
        job += alphabet[Math.floor(Math.random() * alphabet.length)];
      const matchers = matchersOf(
        renderQuery('error-ratio', { job, rateWindow: '5m' }),
      );
      expect(matchers).toEqual([
        { label: 'job', value: job },
        { label: 'job', value: job },
      ]);
    }
  });

  it('quotes as Go does for the plain escapes', () => {
    expect(promqlString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });

  it('computes range bounds aligned to the step', () => {
    const now = Date.UTC(2026, 10, 28, 22, 0, 17);
    for (const range of ['1h', '6h', '24h'] as const) {
      const { start, end, stepSeconds } = rangeBounds(range, now);
      expect(end % stepSeconds).toBe(0);
      expect(end).toBeLessThanOrEqual(now / 1000);
      expect(now / 1000 - end).toBeLessThan(stepSeconds);
      expect(end - start).toBe(
        { '1h': 3600, '6h': 21600, '24h': 86400 }[range],
      );
      expect((end - start) / stepSeconds).toBeLessThanOrEqual(200);
    }
  });
});
