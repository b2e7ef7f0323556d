import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../../src/observability/metric-names.js';
import { SeriesTable, seriesField } from '../../src/observability/series.js';

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
});
