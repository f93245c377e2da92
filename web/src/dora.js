// DORA by week as uPlot charts. `data` is what the service page carries:
// { service, env, window: {from, to}, periods: [{from, to, metrics}] } where
// `metrics` is the service's entry in that week of GET /api/v1/reports/dora
// (the same object `tollgate dora report --by week --format json` prints
// under periods[i].services[NAME]), or null when the week has none.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const hours = (v) => (v == null ? '–' : v.toFixed(v < 10 ? 2 : 1) + ' h');
const percent = (v) => (v == null ? '–' : (v * 100).toFixed(1) + ' %');
const count = (v) => (v == null ? '–' : String(v));

// One entry per chart; each series names the metric's path in `metrics`.
// Colours: dark enough on white for the legend swatches to be told apart.
export const DORA_CHARTS = [
  {
    id: 'deploys',
    title: 'Deployment frequency: deploys per week',
    unit: count,
    bars: true,
    series: [{ label: 'Deploys', path: ['deployments'], stroke: '#13315c', fill: 'rgba(19,49,92,0.35)' }],
  },
  {
    id: 'lead-time',
    title: 'Lead time for changes (hours): median and p90 by week',
    unit: hours,
    series: [
      { label: 'Median', path: ['lead_time_hours', 'median'], stroke: '#0b4f9c' },
      { label: 'p90', path: ['lead_time_hours', 'p90'], stroke: '#a3470b', dash: [6, 4] },
    ],
  },
  {
    id: 'change-failure-rate',
    title: 'Change failure rate by week',
    unit: percent,
    series: [{ label: 'Change failure rate', path: ['change_failure_rate'], stroke: '#7a0019' }],
  },
  {
    id: 'time-to-restore',
    title: 'Time to restore service (hours): median by week',
    unit: hours,
    series: [{ label: 'Median time to restore', path: ['time_to_restore_hours', 'median'], stroke: '#2f6b2f' }],
  },
];

function at(obj, path) {
  let cur = obj;
  for (const k of path) {
    if (cur == null || typeof cur !== 'object') return null;
    cur = cur[k];
  }
  return typeof cur === 'number' ? cur : null;
}

function weekLabel(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

// The plot's width: its figure's (two to a row on a wide screen, see portal.css).
function width(figure) {
  return Math.max(260, Math.min((figure.getBoundingClientRect().width || 640) - 8, 900));
}

// Draws one figure per DORA_CHARTS entry into `target`; returns
// [{ id, title, labels, data, plot }] where data is uPlot's own arrays
// (x: week starts in Unix seconds, then one array per series).
export function drawDoraCharts(target, data) {
  const periods = Array.isArray(data.periods) ? data.periods : [];
  if (periods.length === 0) {
    target.textContent = 'No weeks in the window: nothing to chart.';
    return [];
  }
  const xs = periods.map((p) => Date.parse(p.from) / 1000);
  const drawn = [];
  const grid = document.createElement('div');
  grid.className = 'charts';
  target.appendChild(grid);
  const boxes = [];
  for (const chart of DORA_CHARTS) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.chart = chart.id;
    const caption = document.createElement('figcaption');
    caption.id = 'chart-' + chart.id + '-title';
    caption.textContent = chart.title;
    figure.appendChild(caption);
    const canvasBox = document.createElement('div');
    canvasBox.setAttribute('role', 'img');
    const ys = chart.series.map((s) => periods.map((p) => at(p.metrics, s.path)));
    const described = chart.series
      .map((s, i) => s.label + ': ' + ys[i].map((v, w) => weekLabel(xs[w]) + ' ' + chart.unit(v)).join(', '))
      .join('; ');
    canvasBox.setAttribute('aria-label', chart.title + '. ' + described + '. The same figures are in the By week table.');
    figure.appendChild(canvasBox);
    grid.appendChild(figure);
    boxes.push({ chart, figure, canvasBox, ys });
  }
  // Measured once every figure is in the grid (one alone would fill the row).
  for (const { chart, figure, canvasBox, ys } of boxes) {

    const opts = {
      width: width(figure),
      height: 220,
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { values: (u, splits) => splits.map((v) => weekLabel(v).slice(5)), space: 70, stroke: '#1b1b1b', grid: { stroke: '#e0e0e0' } },
        { values: (u, splits) => splits.map(chart.unit), stroke: '#1b1b1b', grid: { stroke: '#e0e0e0' }, size: 64 },
      ],
      series: [
        { label: 'Week from', value: (u, v) => (v == null ? '–' : weekLabel(v)) },
        ...chart.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          fill: s.fill,
          dash: s.dash,
          width: 2,
          points: { show: true, size: 6 },
          paths: chart.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined,
          value: (u, v) => chart.unit(v),
        })),
      ],
    };
    if (chart.id === 'change-failure-rate') opts.scales.y = { range: (u, min, max) => [0, Math.max(0.1, max || 0)] };
    else opts.scales.y = { range: (u, min, max) => [0, Math.max(1, max || 0) * 1.1] };
    const plot = new uPlot(opts, [xs, ...ys], canvasBox);
    drawn.push({ id: chart.id, title: chart.title, labels: chart.series.map((s) => s.label), data: plot.data, plot });
  }
  return drawn;
}
