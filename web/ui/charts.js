// charts.js: the status page's two chart kinds, drawn as plain inline SVG with DOM APIs (createElementNS and
// setAttribute, never innerHTML).
// Why no charting library: bars plus a line, and a strip of bars, take a couple of hundred lines of our own code;
// a library would be third-party code to vendor, review and keep up to date for that, and several write inline
// `style` attributes, which the page's CSP (style-src 'self') refuses. Here colours come from style.css classes
// (so dark mode applies), tooltips are SVG <title> children with the exact API text, and every plotted mark
// carries the value it stands for in data attributes (data-date / data-start, data-value), which the headless
// browser test compares with the API's answer.
import { formatNumber } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const dayMonth = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** An SVG element with attributes (null/undefined left out) and children (nodes or text). */
export function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

/**
 * Evenly spaced "round" tick values (1, 2, 2.5 or 5 × 10^n apart) covering [lo, hi]: the finest such step that
 * needs at most `count` + 2 intervals; with `integer`, whole-number steps only (event counts).
 */
export function niceTicks(lo, hi, count = 4, { integer = false } = {}) {
  if (!(hi > lo)) [lo, hi] = [Math.min(lo, 0, hi) - 1, Math.max(hi, 0, lo) + 1];
  let mag = 10 ** Math.floor(Math.log10((hi - lo) / (count + 2)));
  for (;;) {
    for (const m of [1, 2, 2.5, 5]) {
      const step = m * mag;
      if (integer && !Number.isInteger(step)) continue;
      const first = Math.floor(lo / step);
      const last = Math.ceil(hi / step);
      if (last - first <= count + 2) {
        // toPrecision: 3 × 0.1 is 0.30000000000000004, a label should say 0.3
        return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
      }
    }
    mag *= 10;
  }
}

/** A YYYY-MM-DD date as "Nov 3" (calendar date: no time-zone shift). */
function shortDate(day) {
  const [y, m, d] = day.split('-').map(Number);
  return dayMonth.format(Date.UTC(y, m - 1, d));
}

/** Horizontal grid lines with labels on the left; the zero line gets its own class. */
function yAxis(g, ticks, y, left, right, label) {
  for (const t of ticks) {
    g.append(svgEl('line', { class: t === 0 ? 'zero-line' : 'grid', x1: left, x2: right, y1: y(t), y2: y(t) }),
      svgEl('text', { class: 'tick', x: left - 6, y: y(t), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, label(t)));
  }
}

/**
 * Labels under the plot at every `every`-th slot counted back from the newest, so the newest always has one (its
 * label ends at its slot); one closer than `gap` px to that last label is left out rather than overlap it.
 */
function xLabels(g, n, every, x, bottom, label, gap = 0) {
  for (let i = n - 1; i >= 0; i -= every) {
    if (i !== n - 1 && x(n - 1) - x(i) < gap) continue;
    g.append(svgEl('text', { class: 'tick', x: x(i), y: bottom + 16, 'text-anchor': i === n - 1 ? 'end' : 'middle' }, label(i)));
  }
}

const PL_HEIGHT = 210;
const PL_MARGIN = { top: 10, right: 12, bottom: 24, left: 54 };

/**
 * One strategy's daily P/L (bars) and cumulative P/L (line) over every day of the window, `width` px wide.
 * `days`: [{date, daily, dailyText, cum, cumText, trades}] oldest first; daily/dailyText null on a day without a
 * row (no bar there; the cumulative line stays flat). Bars and line share one P/L axis.
 */
export function plChart(days, width) {
  const m = PL_MARGIN;
  const right = width - m.right;
  const bottom = PL_HEIGHT - m.bottom;
  const values = days.flatMap((d) => (d.daily === null ? [d.cum] : [d.cum, d.daily]));
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values), width < 420 ? 3 : 4);
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1];
  const y = (v) => m.top + ((hi - v) / (hi - lo)) * (bottom - m.top);
  const band = (right - m.left) / days.length;
  const x = (i) => m.left + band * (i + 0.5);
  const y0 = y(0);

  const svg = svgEl('svg', {
    class: 'plot', width, height: PL_HEIGHT, viewBox: `0 0 ${width} ${PL_HEIGHT}`, role: 'img', 'data-zero-y': y0,
  });
  const axes = svgEl('g', { class: 'axes' });
  yAxis(axes, ticks, y, m.left, right, (t) => compact.format(t));
  // About 44 px per label ("Nov 26" at 11 px): one every 52 px or more.
  xLabels(axes, days.length, Math.max(1, Math.ceil(52 / band)), x, bottom, (i) => shortDate(days[i].date), 70);
  svg.append(axes);

  const bars = svgEl('g', { class: 'bars' });
  const barWidth = Math.max(1, band * 0.7);
  days.forEach((d, i) => {
    if (d.daily === null) return;
    const top = Math.min(y(d.daily), y0);
    const trades = d.trades === undefined ? '' : ` · ${formatNumber('integer', d.trades)} trades`;
    bars.append(svgEl('rect', {
      class: `bar ${d.daily < 0 ? 'neg' : 'pos'}`, x: x(i) - barWidth / 2, y: top, width: barWidth,
      height: Math.abs(y(d.daily) - y0), 'data-series': 'daily', 'data-date': d.date, 'data-value': d.dailyText,
    }, svgEl('title', {}, `${d.date}: daily P/L ${d.dailyText}${trades}`)));
  });
  svg.append(bars);

  // The line runs through every day (flat over days without a row); points mark the days that have one.
  const path = days.map((d, i) => `${i ? 'L' : 'M'}${x(i).toFixed(2)},${y(d.cum).toFixed(2)}`).join('');
  const line = svgEl('g', { class: 'cumulative' }, svgEl('path', { class: 'cum-line', d: path }));
  days.forEach((d, i) => {
    if (d.daily === null) return;
    line.append(svgEl('circle', {
      class: 'cum-point', cx: x(i), cy: y(d.cum), r: 2.5, 'data-series': 'cumulative', 'data-date': d.date,
      'data-value': d.cumText,
    }, svgEl('title', {}, `${d.date}: cumulative P/L ${d.cumText}`)));
  });
  svg.append(line);
  return svg;
}

const RATE_HEIGHT = 120;
const RATE_MARGIN = { top: 8, right: 12, bottom: 24, left: 34 };
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/**
 * Events per bucket: `buckets` = [{start (ms), end (ms), count}] oldest first, the last one still filling.
 * Labels minutes back from now under the bars.
 */
export function rateChart(buckets, width) {
  const m = RATE_MARGIN;
  const right = width - m.right;
  const bottom = RATE_HEIGHT - m.bottom;
  const ticks = niceTicks(0, Math.max(4, ...buckets.map((b) => b.count)), 1, { integer: true });
  const hi = ticks[ticks.length - 1];
  const y = (v) => m.top + ((hi - v) / hi) * (bottom - m.top);
  const band = (right - m.left) / buckets.length;
  const x = (i) => m.left + band * (i + 0.5);
  const perMinute = Math.round(60000 / (buckets[0].end - buckets[0].start));

  const svg = svgEl('svg', {
    class: 'plot', width, height: RATE_HEIGHT, viewBox: `0 0 ${width} ${RATE_HEIGHT}`, role: 'img', 'data-zero-y': y(0),
  });
  const axes = svgEl('g', { class: 'axes' });
  yAxis(axes, ticks, y, m.left, right, (t) => formatNumber('integer', t));
  const n = buckets.length;
  xLabels(axes, n, perMinute, (i) => (i === n - 1 ? right : x(i)), bottom,
    (i) => (i === n - 1 ? 'now' : `−${(n - 1 - i) / perMinute} min`));
  svg.append(axes);

  const bars = svgEl('g', { class: 'bars' });
  const barWidth = Math.max(1, band * 0.75);
  buckets.forEach((b, i) => {
    bars.append(svgEl('rect', {
      class: `bar rate${i === n - 1 ? ' filling' : ''}`, x: x(i) - barWidth / 2, y: y(b.count), width: barWidth,
      height: y(0) - y(b.count), 'data-start': new Date(b.start).toISOString(), 'data-value': b.count,
    }, svgEl('title', {}, `${clock.format(b.start)}–${clock.format(b.end)}: ${b.count} event${b.count === 1 ? '' : 's'}`)));
  });
  svg.append(bars);
  return svg;
}
