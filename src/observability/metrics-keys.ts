/**
 * The Redis keys of the cluster-wide metrics, built here and nowhere else. They share the hash tag
 * `{metrics}`, so one pipeline (or a future script) touches one Redis Cluster slot.
 */
export interface MetricsKeys {
  /** Hash: series field -> counter value. */
  counters: string;
  /** Hash: series field + `#bucket|#sum|#count` -> histogram cell. */
  histograms: string;
  /** Hash: worker id -> `<slots>:<expires at ms>` (each live dispatcher's heartbeat). */
  slots: string;
  /** Prefix of the string marking a flush as applied, by its token (kept a minute). */
  flushedBase: string;
}

export function metricsKeys(prefix = 'waooaw:'): MetricsKeys {
  const base = `${prefix}{metrics}:`;
  return {
    counters: `${base}counters`,
    histograms: `${base}histograms`,
    slots: `${base}slots`,
    flushedBase: `${base}flushed:`,
  };
}
