import { describe, expect, it } from 'vitest';
import { InvocationGauge } from '../../src/bridge/index.js';

describe('InvocationGauge', () => {
  it('counts invocations in flight and those finished in the last minute', () => {
    let now = 1_000_000;
    const gauge = new InvocationGauge(() => now);
    gauge.begin();
    gauge.begin();
    expect(gauge.inFlight).toBe(2);
    gauge.end();
    now += 30_000;
    gauge.end();
    gauge.begin();
    gauge.end();
    expect(gauge.inFlight).toBe(0);
    expect(gauge.perMinute()).toBe(3);
    // The first one leaves the window; the two from 30 s later stay until they are a minute old.
    now += 31_000;
    expect(gauge.perMinute()).toBe(2);
    now += 60_000;
    expect(gauge.perMinute()).toBe(0);
    // A slot of the ring is reused a minute later without carrying the old count.
    gauge.begin();
    gauge.end();
    expect(gauge.perMinute()).toBe(1);
  });
});
