// rate.js: the live event rate: engine events counted as they arrive in this tab from /ws, in 10-second buckets
// aligned to the clock, over the last 5 minutes (the newest bucket still filling). Drawn by charts.js when an
// event arrives (at most once a frame) and when a new bucket begins, so a hovered tooltip is not redrawn away
// every second.
import { rateChart } from './charts.js';
import { el } from './tables.js';

export const BUCKET_MS = 10000;
export const BUCKETS = 30;

const arrivals = []; // arrival times (ms), oldest first, pruned to the chart's span
let frame = 0;
let timer = 0;
let drawnWidth = 0;

/** True for what the engine sent (NOTIFY relayed with a seq); the stream's own `connected` and `stream.*` are not. */
function isEngineEvent(event) {
  const type = String(event?.type);
  return typeof event?.seq === 'number' && type !== 'connected' && !type.startsWith('stream.');
}

/** Counts one stream event (main.js calls this for every message). */
export function countEvent(event) {
  if (!isEngineEvent(event)) return;
  arrivals.push(Date.now());
  frame ||= requestAnimationFrame(draw);
}

/** The buckets ending with the one that holds `now`: [{start, end, count}] oldest first. */
export function bucketize(times, now) {
  const end = (Math.floor(now / BUCKET_MS) + 1) * BUCKET_MS;
  const start = end - BUCKETS * BUCKET_MS;
  const buckets = Array.from({ length: BUCKETS }, (_, i) => ({
    start: start + i * BUCKET_MS, end: start + (i + 1) * BUCKET_MS, count: 0,
  }));
  for (const t of times) if (t >= start && t < end) buckets[Math.floor((t - start) / BUCKET_MS)].count++;
  return buckets;
}

function draw() {
  frame = 0;
  const now = Date.now();
  const buckets = bucketize(arrivals, now);
  while (arrivals.length && arrivals[0] < buckets[0].start) arrivals.shift();
  const box = document.querySelector('#event-rate .chart-box');
  const width = Math.floor(box.clientWidth);
  drawnWidth = document.getElementById('event-rate').clientWidth;
  if (width > 0) {
    const svg = rateChart(buckets, width);
    svg.setAttribute('aria-label', 'Events per 10 seconds, last 5 minutes');
    box.replaceChildren(svg);
  }
  const total = buckets.reduce((a, b) => a + b.count, 0);
  document.getElementById('event-rate-total').textContent =
    `${total} event${total === 1 ? '' : 's'} in the last 5 minutes · per 10 s, counted as they arrive in this tab`;
  clearTimeout(timer);
  timer = setTimeout(draw, buckets[BUCKETS - 1].end - now + 20); // the next bucket begins
}

/** Builds the panel in #event-rate and starts drawing it. */
export function startRateChart() {
  const panel = document.getElementById('event-rate');
  panel.replaceChildren(el('div', { className: 'chart-box rate' }),
    el('p', { className: 'note rate-total', id: 'event-rate-total' }));
  new ResizeObserver(() => requestAnimationFrame(() => {
    if (panel.clientWidth !== drawnWidth) draw();
  })).observe(panel);
  draw();
}
