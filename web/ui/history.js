// history.js: the "P/L, last 30 days" panel. Loads the active strategies and each one's daily metrics rows from
// /metrics/{strategy}/history, turns them into one entry per calendar day (daily P/L, and the cumulative P/L
// summed exactly from the API's decimal text), and draws one chart per strategy (charts.js), redrawn to the
// panel's width whenever that changes.
import { get, withQuery } from './api.js';
import { plChart } from './charts.js';
import { formatNumber, sign, sumDecimals } from './format.js';
import { rawOf } from './json.js';
import { el } from './tables.js';

export const WINDOW_DAYS = 30;

let shown = null; // {from, to, charts: [{strategy, days}]}: the last answer, kept for redraws on resize

/**
 * The window as YYYY-MM-DD strings, oldest first: the viewer's calendar date and the 29 days before it. The page
 * sends this window as from/to explicitly, so the axis and the request always cover the same 30 days.
 */
export function windowDates(now = new Date()) {
  const end = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Array.from({ length: WINDOW_DAYS }, (_, i) =>
    new Date(end - (WINDOW_DAYS - 1 - i) * 86400000).toISOString().slice(0, 10));
}

/**
 * One entry per date: {date, daily, dailyText, cum, cumText, trades}. A date without a row (or with a NaN P/L)
 * has daily/dailyText null and keeps the cumulative of the day before; the cumulative starts at 0 before the
 * first row. Sums use the API's exact literals (BigInt, format.js), so they never pick up float noise.
 */
export function dailySeries(dates, rows) {
  const byDate = new Map(rows.map((r) => [r.date, r]));
  const literals = [];
  let floats = 0;
  return dates.map((date) => {
    const row = byDate.get(date);
    const has = typeof row?.profit_loss === 'number' && Number.isFinite(row.profit_loss);
    if (has) {
      literals.push(rawOf(row, 'profit_loss'));
      floats += row.profit_loss;
    }
    const cumText = literals.length ? sumDecimals(literals) ?? String(floats) : '0';
    return {
      date, trades: row?.total_trades, daily: has ? row.profit_loss : null,
      dailyText: has ? rawOf(row, 'profit_loss') : null, cum: Number(cumText), cumText,
    };
  });
}

/** Fetches the window's rows for every active strategy and redraws the panel. */
export async function loadHistory(key) {
  const strategies = await get('/strategies', key);
  const dates = windowDates();
  const range = { from: dates[0], to: dates[dates.length - 1] };
  const charts = await Promise.all(strategies.map(async (s) => {
    const rows = await get(withQuery(`/metrics/${encodeURIComponent(s.name)}/history`, range), key);
    return { strategy: s.name, days: dailySeries(dates, rows) };
  }));
  // Trades and metrics events reload this often; an unchanged answer leaves the charts (and an open tooltip) alone.
  const next = { ...range, charts };
  if (shown && signature(shown) === signature(next)) return;
  shown = next;
  render();
}

function signature({ from, to, charts }) {
  return JSON.stringify([from, to, charts.map((c) => [c.strategy, c.days.map((d) => [d.dailyText, d.trades])])]);
}

function render() {
  const panel = document.getElementById('pl-charts');
  if (!shown) return;
  panel.dataset.from = shown.from;
  panel.dataset.to = shown.to;
  const legend = el('ul', { className: 'legend' },
    el('li', {}, el('span', { className: 'swatch bars' }), 'daily P/L (no bar: no metrics row that day)'),
    el('li', {}, el('span', { className: 'swatch line' }), `cumulative P/L since ${shown.from} (flat on days without a row)`));
  const figures = shown.charts.map(({ strategy, days }) => {
    const last = days[days.length - 1];
    const rows = days.filter((d) => d.daily !== null).length;
    const total = el('span', {
      className: `total ${['neg', 'zero', 'pos'][sign(last.cum) + 1]}`, title: last.cumText,
      textContent: `${formatNumber('money', last.cum)} in 30 days`,
    });
    const fig = el('figure', { className: 'chart' },
      el('figcaption', {}, el('span', { className: 'name', textContent: strategy }), total),
      el('div', { className: 'chart-box' }));
    fig.dataset.strategy = strategy;
    fig.dataset.rows = String(rows);
    if (!rows) fig.append(el('p', { className: 'note', textContent: 'No metrics rows in these 30 days.' }));
    return fig;
  });
  panel.replaceChildren(legend,
    ...(figures.length ? [el('div', { className: 'charts' }, ...figures)] : [el('p', { className: 'note', textContent: 'No active strategies.' })]));
  drawAll();
}

// Charts are drawn at the pixel width they get (text stays readable on a phone), again when that width changes.
let drawnWidth = 0;
function drawAll() {
  const figures = document.querySelectorAll('#pl-charts figure.chart');
  const byName = new Map(shown.charts.map((c) => [c.strategy, c.days]));
  for (const fig of figures) {
    const box = fig.querySelector('.chart-box');
    const width = Math.floor(box.clientWidth);
    if (width > 0) box.replaceChildren(label(plChart(byName.get(fig.dataset.strategy), width), fig.dataset.strategy));
  }
  drawnWidth = document.getElementById('pl-charts').clientWidth;
}

function label(svg, strategy) {
  svg.setAttribute('aria-label', `${strategy}: daily and cumulative P/L, last 30 days`);
  return svg;
}

// Redrawn on the next frame, not inside the observer's callback: a change of layout there would be reported as a
// "ResizeObserver loop" error.
new ResizeObserver(() => requestAnimationFrame(() => {
  const width = document.getElementById('pl-charts').clientWidth;
  if (shown && width !== drawnWidth) drawAll();
})).observe(document.getElementById('pl-charts'));
