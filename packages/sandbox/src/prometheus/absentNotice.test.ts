import { prometheusAbsentNotice } from './absentNotice';

describe('prometheusAbsentNotice', () => {
  it('says in one line how to get the charts and what is shown meanwhile', () => {
    const line = prometheusAbsentNotice(false);
    expect(line).not.toContain('\n');
    expect(line).toContain('apt-get install prometheus');
    expect(line).toContain('No data');
  });

  it('does not suggest installing when Prometheus was turned off', () => {
    expect(prometheusAbsentNotice(true)).toMatch(
      /^off \(SANDBOX_PROMETHEUS=0\)/,
    );
    expect(prometheusAbsentNotice(true)).not.toContain('apt-get');
  });
});
