/**
 * ECharts on a canvas, imported piece by piece (core, the three chart types and the
 * components we use, the canvas renderer) so the reports chunk stays small and the
 * inbox bundle does not carry it at all (the reports route is lazy).
 *
 * CSP: ECharts styles its elements through the DOM API (el.style.x = …), which
 * `style-src 'self'` allows. Its HTML tooltip would set innerHTML with inline style
 * attributes, which the CSP forbids; tooltips therefore render on the canvas
 * (`renderMode: 'richText'`). Every chart is `role="img"` with an aria-label that
 * states the key figures; callers also give the numbers as a table.
 */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, type BarSeriesOption, type HeatmapSeriesOption, type LineSeriesOption } from 'echarts/charts';
import {
  GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent,
  type GridComponentOption, type LegendComponentOption, type MarkLineComponentOption, type TooltipComponentOption, type VisualMapComponentOption,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, HeatmapChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export type ChartOption = echarts.ComposeOption<
  BarSeriesOption | HeatmapSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | MarkLineComponentOption | TooltipComponentOption | VisualMapComponentOption
>;

/** Colours from the stylesheet's palette (canvas cannot read CSS variables cheaply). */
export const COLORS = {
  accent: '#1f5fd1',
  accentWeak: '#a9c3f2',
  text: '#1b1f24',
  muted: '#56606b',
  border: '#d9dde3',
  danger: '#b42318',
  ok: '#17703a',
  warn: '#b7791f',
  neutral: '#8a94a0',
  purple: '#6d37b0',
  teal: '#0e6470',
};

export const SERIES_COLORS = [COLORS.accent, COLORS.warn, COLORS.ok, COLORS.purple, COLORS.danger, COLORS.teal, COLORS.neutral, '#962c63'];

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', sans-serif";

/** Options shared by every chart: no animation, the UI font, canvas tooltips. */
const BASE: ChartOption = {
  animation: false,
  color: SERIES_COLORS,
  textStyle: { fontFamily: FONT, color: COLORS.text, fontSize: 12 },
  tooltip: { renderMode: 'richText', confine: true },
};

export function Chart({ option, label, className, testId }: { option: ChartOption; label: string; className?: string; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const el = ref.current!;
    const c = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ ...BASE, ...option, tooltip: { ...(BASE.tooltip as object), ...((option.tooltip as object | undefined) ?? {}) } }, { notMerge: true });
  }, [option]);

  return <div ref={ref} className={className ? `chart ${className}` : 'chart'} role="img" aria-label={label} data-testid={testId} />;
}

/** Axis label every n-th category (ECharts' `interval` skips n − 1 labels). */
export const every = (n: number) => ({ interval: n - 1 });
