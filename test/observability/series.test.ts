import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../../src/observability/metric-names.js';
import {
  OVERFLOW_LABEL,
  SERIES_PER_METRIC_LIMIT,
  SeriesTable,
  seriesField,
} from '../../src/observability/series.js';

describe('series fields', () => {
  it('names a series by its declared labels in declared order, whatever order they are given in', () => {
    const a = seriesField('taskOutcomes', { workflow: 'trial', task: 'charge', outcome: 'completed' });
    const b = seriesField('taskOutcomes', { outcome: 'completed', task: 'charge', workflow: 'trial' });
    expect(a).toBe(b);
    expect(a).toMatch(/\["trial","charge","completed"\]$/);
    expect(seriesField('taskOutcomes', { workflow: 'trial', task: 'charge', outcome: 'failed' })).not.toBe(a);
    // A value with the separator the cache uses is still its own series.
    expect(seriesField('eventsPublished', { type: 'a\u0000b' })).not.toBe(
      seriesField('eventsPublished', { type: 'a' }),
    );
  });

  it('counts histogram cells per bucket, sum and count, and reads them back', () => {
    const table = new SeriesTable();
    table.observe('taskDuration', 0, { workflow: 'w', task: 't' });
    table.observe('taskDuration', 1e9, { workflow: 'w', task: 't' });
    table.observe('taskDuration', 1e9, { workflow: 'w', task: 't' });
    const [h] = table.snapshot().histograms;
    expect(h?.labels).toEqual({ workflow: 'w', task: 't' });
    expect(h?.count).toBe(3);
    expect(h?.sum).toBe(2e9);
    expect(h?.counts[0]).toBe(1);
    expect(h?.counts[LATENCY_BUCKETS.length]).toBe(2);
  });

  it('ignores values that are not finite numbers (they would make every flush fail)', () => {
    const table = new SeriesTable();
    table.inc('runs', { workflow: 'w', status: 'completed' }, Number.NaN);
    table.observe('endToEndLatency', Number.POSITIVE_INFINITY, {});
    expect(table.empty).toBe(true);
    expect(table.updates).toBe(0);
  });

  it('counts new label sets of a metric past its limit under one _other series', () => {
    const table = new SeriesTable();
    // A producer that puts ids in its event types.
    for (let i = 0; i < SERIES_PER_METRIC_LIMIT + 50; i++)
      table.inc('eventsPublished', { type: `order.${i}.created` }, 1);
    const series = table.snapshot().counters.filter((c) => c.name === 'waooaw_events_published_total');
    // (The limit is per process: series other tests of this process started count too.)
    expect(series.length).toBeLessThanOrEqual(SERIES_PER_METRIC_LIMIT + 1);
    expect(series.find((c) => c.labels.type === OVERFLOW_LABEL)?.value).toBeGreaterThanOrEqual(50);
    // A label set counted before the limit keeps its own series; other metrics are not affected.
    table.inc('eventsPublished', { type: 'order.0.created' }, 1);
    expect(table.snapshot().counters.find((c) => c.labels.type === 'order.0.created')?.value).toBe(2);
    expect(seriesField('dlqEntries', { kind: 'task' })).toMatch(/\["task"\]$/);
  });
});
