import { MetricRangeResponse } from '@vastai-incident/backstage-plugin-common';
import {
  axisTicks,
  formatAxisTime,
  formatMetricValue,
  toChartModel,
} from './chartData';

const response = (
  points: Array<[number, number | null]>,
  extra: Partial<MetricRangeResponse> = {},
): MetricRangeResponse => ({
  queryId: 'error-ratio',
  start: 1_000,
  end: 4_600,
  stepSeconds: 60,
  unit: 'ratio',
  threshold: 0.05,
  series: [{ labels: {}, points }],
  ...extra,
});

describe('toChartModel', () => {
  it('keeps nulls as gaps, converts seconds to ms and spans the whole range', () => {
    const model = toChartModel(
      response([
        [1_200, 0.01],
        [1_260, null],
        [1_320, null],
        [1_380, 0.02],
        [1_440, null],
      ]),
    );
    expect(model.domain).toEqual([1_000_000, 4_600_000]);
    expect(model.series[0].points).toEqual([
      { t: 1_200_000, v: 0.01 },
      { t: 1_260_000, v: null },
      { t: 1_320_000, v: null },
      { t: 1_380_000, v: 0.02 },
      { t: 1_440_000, v: null },
    ]);
    expect(model.gaps).toBe(2);
    expect(model.valuePoints).toBe(2);
    expect(model.latest).toBe(0.02);
    expect(model.threshold).toBe(0.05);
  });

  it('no data is no data, not zero', () => {
    const model = toChartModel(
      response([
        [1_200, null],
        [1_260, NaN as unknown as number],
      ]),
    );
    expect(model.valuePoints).toBe(0);
    expect(model.series[0].points.every(p => p.v === null)).toBe(true);
    expect(toChartModel(response([], { series: [] })).valuePoints).toBe(0);
  });

  it('survives a partial response', () => {
    const model = toChartModel({
      series: [null, { labels: { class: 'auth' } }],
    } as unknown as MetricRangeResponse);
    expect(model.valuePoints).toBe(0);
    expect(model.series[0].name).toBe('class=auth');
    expect(model.threshold).toBeUndefined();
  });
});

describe('formatting', () => {
  it('formats values in the query unit', () => {
    expect(formatMetricValue(0.05, 'ratio')).toBe('5.0 %');
    expect(formatMetricValue(0.25, 'ratio')).toBe('25 %');
    expect(formatMetricValue(5, 'seconds')).toBe('5.0 s');
    expect(formatMetricValue(0.25, 'seconds')).toBe('250 ms');
    expect(formatMetricValue(null, 'ratio')).toBe('no data');
  });

  it('labels the axis in local time, across the full domain', () => {
    const at = new Date(2026, 10, 28, 14, 5).getTime();
    expect(formatAxisTime(at, false)).toMatch(/14[:.]05|2[:.]05/);
    expect(formatAxisTime(at, true)).toMatch(/28/);
    expect(axisTicks([0, 6_000], 7)).toEqual([
      0, 1000, 2000, 3000, 4000, 5000, 6000,
    ]);
  });
});
