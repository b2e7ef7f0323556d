/**
 * Small builders for the waooaw Grafana dashboard, typed against @grafana/schema so that `tsc` checks
 * every panel. Panels are laid out on Grafana's 24-column grid by `layout`, row by row.
 */
import {
  type DataSourceRef,
  FieldColorModeId,
  type FieldConfigSource,
  type Panel,
  type RowPanel,
  ThresholdsMode,
} from '@grafana/schema';

/** Every query goes to the Prometheus picked in the dashboard's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend?: string;
  /** 'heatmap' for histogram buckets shown as a heatmap. */
  format?: 'time_series' | 'heatmap';
}

export interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat' | 'gauge' | 'heatmap';
  queries: Query[];
  /** A Grafana unit id: 's', 'percentunit', 'short', 'ops'... */
  unit: string;
  /** Width in grid columns (of 24). */
  width: number;
  /** Values at or above this turn red (drawn as a threshold line on time series). */
  redAt?: number;
  stacked?: boolean;
  /** Gauge range. */
  max?: number;
}

export interface Section {
  title: string;
  panels: PanelSpec[];
}

const PANEL_HEIGHT = 8;

function fieldConfig(spec: PanelSpec): FieldConfigSource {
  const steps: Array<{ value: number | null; color: string }> = [{ value: null, color: 'green' }];
  if (spec.redAt !== undefined) steps.push({ value: spec.redAt, color: 'red' });
  const custom: Record<string, unknown> =
    spec.type === 'timeseries'
      ? {
          drawStyle: 'line',
          fillOpacity: spec.stacked ? 30 : 10,
          lineWidth: 1,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
          thresholdsStyle: { mode: spec.redAt === undefined ? 'off' : 'line' },
        }
      : {};
  return {
    defaults: {
      unit: spec.unit,
      min: spec.type === 'heatmap' ? undefined : 0,
      max: spec.max,
      color: {
        mode: spec.type === 'timeseries' ? FieldColorModeId.PaletteClassic : FieldColorModeId.Thresholds,
      },
      thresholds: { mode: ThresholdsMode.Absolute, steps },
      custom,
    },
    overrides: [],
  };
}

function options(spec: PanelSpec): Record<string, unknown> {
  switch (spec.type) {
    case 'timeseries':
      return {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'stat':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'area',
        textMode: 'auto',
      };
    case 'gauge':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        showThresholdMarkers: true,
      };
    case 'heatmap':
      return {
        calculate: false,
        yAxis: { unit: spec.unit },
        color: { mode: 'scheme', scheme: 'Oranges', steps: 64 },
        cellGap: 1,
        tooltip: { show: true, yHistogram: true },
      };
  }
}

function panel(spec: PanelSpec, id: number, x: number, y: number): Panel {
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: PROMETHEUS,
    gridPos: { h: PANEL_HEIGHT, w: spec.width, x, y },
    targets: spec.queries.map((query, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: PROMETHEUS,
      expr: query.expr,
      legendFormat: query.legend ?? '__auto',
      format: query.format ?? 'time_series',
      range: true,
      instant: false,
    })),
    fieldConfig: fieldConfig(spec),
    options: options(spec),
  };
}

/**
 * Lays sections out top to bottom: an expanded row header, then its panels left to right, wrapping
 * at 24 columns. Expanded rows keep their panels at the top level (`panels: []`), as Grafana saves them.
 */
export function layout(sections: Section[]): Array<Panel | RowPanel> {
  const out: Array<Panel | RowPanel> = [];
  let id = 1;
  let y = 0;
  for (const section of sections) {
    out.push({
      id: id++,
      type: 'row',
      title: section.title,
      collapsed: false,
      panels: [],
      gridPos: { h: 1, w: 24, x: 0, y },
    });
    y += 1;
    let x = 0;
    for (const spec of section.panels) {
      if (x + spec.width > 24) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      out.push(panel(spec, id++, x, y));
      x += spec.width;
    }
    y += PANEL_HEIGHT;
  }
  return out;
}

/** p50/p95/p99 of a waooaw latency histogram, deduplicated across replicas (see dashboard.ts). */
export function latencyQuantiles(histogram: string): Query[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, max by (le) (rate(${histogram}_bucket[$__rate_interval])))`,
    legend: `p${Math.round(q * 100)}`,
  }));
}
