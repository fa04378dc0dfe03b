// tables.js: turns API rows into table rows and list items. DOM is built with textContent only (never innerHTML),
// so symbols, strategy names and metadata from the database cannot inject markup. Every number cell shows a
// rounded, localised value and carries the exact API text in its `title` tooltip.
import { rawOf, stringifyExact } from './json.js';
import { formatDate, formatDateTime, formatNumber, formatTime, sign, sumDecimals } from './format.js';

/** document.createElement with properties (className, title, textContent, ...) and children. */
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

/** A right-aligned number cell: formatted text, exact literal as tooltip; `signed` colours it by sign. */
export function numCell(row, key, kind, { signed = false } = {}) {
  const value = row?.[key];
  const td = el('td', { className: 'num', textContent: formatNumber(kind, value) });
  const exact = rawOf(row, key);
  if (exact) td.title = exact;
  if (signed) td.classList.add(['neg', 'zero', 'pos'][sign(value) + 1]);
  return td;
}

function textCell(text, className = '') {
  return el('td', { textContent: text ?? '—', className });
}

function timeCell(ts) {
  return el('td', { className: 'time' }, el('time', { dateTime: ts ?? '', title: ts ?? '', textContent: formatDateTime(ts) }));
}

/** Replaces a tbody's rows; an empty list shows one muted row saying so. */
export function fillBody(tbody, rows, columns, emptyText) {
  tbody.replaceChildren(...(rows.length ? rows : [el('tr', { className: 'empty' }, el('td', { colSpan: columns, textContent: emptyText }))]));
}

/** Open positions, plus the per-strategy totals (count and exact P/L sum) below them. */
export function renderPositions(positions, freshKey = null) {
  const body = document.querySelector('#positions tbody');
  const rows = positions.map((p) => {
    const tr = el('tr', {},
      textCell(p.symbol, 'sym'), textCell(p.strategy),
      numCell(p, 'quantity', 'quantity'), numCell(p, 'entry_price', 'price'), numCell(p, 'current_price', 'price'),
      numCell(p, 'unrealized_pl', 'money', { signed: true }));
    tr.dataset.key = positionKey(p);
    if (freshKey && tr.dataset.key === freshKey) tr.classList.add('fresh');
    return tr;
  });
  fillBody(body, rows, 6, 'No open positions.');
  document.getElementById('positions-count').textContent = `(${positions.length})`;

  const groups = new Map();
  for (const p of positions) {
    if (!groups.has(p.strategy)) groups.set(p.strategy, []);
    groups.get(p.strategy).push(p);
  }
  const totals = [...groups].map(([strategy, list]) => totalRow(strategy, list));
  if (groups.size > 1) totals.push(totalRow('All strategies', positions, 'all'));
  fillBody(document.querySelector('#position-totals tbody'), totals, 3, '—');
}

function totalRow(label, list, className = '') {
  const literals = list.map((p) => rawOf(p, 'unrealized_pl')).filter(Boolean);
  const exact = sumDecimals(literals);
  const value = exact !== null ? Number(exact) : list.reduce((a, p) => a + (p.unrealized_pl ?? 0), 0);
  const row = { pl: value, count: list.length };
  const plCell = numCell(row, 'pl', 'money', { signed: true });
  plCell.title = exact ?? String(value);
  return el('tr', { className }, textCell(label), numCell(row, 'count', 'integer'), plCell);
}

/** The identity of an open position in the REST shape (it has no id): strategy + symbol. */
export function positionKey(p) {
  return `${p.strategy}\u0000${p.symbol}`;
}

/** One signal row; `compact` (the proposals table) leaves out the id and action columns. */
export function signalRow(s, { compact = false, fresh = false } = {}) {
  const meta = s.metadata ?? {};
  const metaText = typeof meta === 'object' && Object.keys(meta).length === 0 ? '' : stringifyExact(meta);
  const cells = [
    timeCell(s.timestamp), textCell(s.strategy), textCell(s.symbol, 'sym'),
    ...(compact ? [] : [el('td', {}, el('span', { className: `action ${s.action}`, textContent: s.action }))]),
    numCell(s, 'confidence', 'percent'),
    el('td', { className: 'meta', textContent: metaText || '—', title: metaText }),
  ];
  if (!compact) cells.unshift(el('td', { className: 'num id', textContent: rawOf(s, 'id') })); // ids: no separators
  const tr = el('tr', { className: fresh ? 'fresh' : '' }, ...cells);
  tr.dataset.id = String(s.id);
  return tr;
}

/** Today's metrics, one row per active strategy; `{}` (no row today) shows as "no data today". */
export function renderMetrics(list) {
  const rows = list.map(({ strategy, metrics }) => {
    if (!metrics || metrics.total_trades === undefined) {
      return el('tr', { className: 'muted' }, textCell(strategy), el('td', { colSpan: 5, textContent: 'no data today' }));
    }
    return el('tr', {}, textCell(strategy),
      numCell(metrics, 'total_trades', 'integer'), numCell(metrics, 'win_rate', 'percent'),
      numCell(metrics, 'profit_loss', 'money', { signed: true }), numCell(metrics, 'sharpe_ratio', 'ratio'),
      numCell(metrics, 'max_drawdown', 'percent'));
  });
  fillBody(document.querySelector('#metrics tbody'), rows, 6, 'No active strategies.');
}

/** "PDT: 2 of 5 day trades used, 3 left (week of …)". */
export function renderPdt(pdt) {
  const p = document.getElementById('pdt');
  const used = pdt.trades_used;
  const left = pdt.trades_remaining;
  p.replaceChildren(
    'PDT (week of ', el('time', { dateTime: pdt.week_start, textContent: formatDate(pdt.week_start) }), '): ',
    el('strong', { textContent: `${used} used` }), ', ',
    el('strong', { className: left > 0 ? '' : 'neg', textContent: `${left} remaining` }),
  );
}

/** A health badge: data-state ok/bad/wait drives its colour, the text says the same in words. */
export function setBadge(id, text, state, title = '') {
  const b = document.getElementById(id);
  b.textContent = text;
  b.dataset.state = state;
  b.title = title;
}

/** One live-feed entry: seq, local time, type, and a short who/what. */
export function feedItem(event) {
  const d = event.data && typeof event.data === 'object' ? event.data : {};
  const what = [d.strategy, d.symbol, d.action, d.quantity !== undefined ? `× ${rawOf(d, 'quantity')}` : '']
    .filter(Boolean).join(' ');
  const seq = event.seq !== undefined ? `#${rawOf(event, 'seq')}` : '';
  return el('li', { className: `event ${String(event.type).split('.')[0]}` },
    el('span', { className: 'seq', textContent: seq }),
    el('time', { dateTime: event.timestamp ?? '', title: event.timestamp ?? '', textContent: formatTime(event.timestamp) }),
    el('code', { className: 'type', textContent: event.type }),
    el('span', { className: 'what', textContent: what || epochText(event) }));
}

function epochText(event) {
  return event.epoch ? `epoch ${event.epoch}` : '';
}
