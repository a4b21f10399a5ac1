import { LatencyHistogram } from '../../lib/index.ts';

describe('latency histogram', () => {
  test('percentiles of 1..10,000 ms are within 1% of the exact values', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 10_000; ms++) histogram.record(ms);

    for (const [q, exact] of [[0.5, 5_000], [0.9, 9_000], [0.99, 9_900]] as const) {
      expect(Math.abs(histogram.percentile(q) - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(histogram.max).toBe(10_000);
    expect(histogram.count).toBe(10_000);
    expect(histogram.mean).toBeCloseTo(5_000.5, 6);
  });

  test('a percentile never exceeds the largest value recorded', () => {
    const histogram = new LatencyHistogram();
    histogram.record(3.3);

    expect(histogram.percentile(0.99)).toBe(3.3);
  });

  test('merging two histograms equals recording everything in one', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const both = new LatencyHistogram();
    for (let i = 0; i < 1000; i++) {
      const value = (i * 7919) % 997;
      (i % 2 ? a : b).record(value);
      both.record(value);
    }

    a.merge(b);

    expect([a.percentile(0.5), a.percentile(0.99), a.count, a.max]).toStrictEqual([both.percentile(0.5), both.percentile(0.99), both.count, both.max]);
  });

  test('an empty histogram reports zeros', () => {
    expect(new LatencyHistogram().percentile(0.99)).toBe(0);
  });
});
