import type UPlot from 'uplot';

// uPlot is loaded as a classic script (uPlot.iife.min.js) before the page's modules; this is its global.
declare global {
  const uPlot: typeof UPlot;
  type UPlotInstance = UPlot;
  type UPlotOptions = UPlot.Options;
}
