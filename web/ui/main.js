// main.js: wires the page together: the key prompt, snapshot loading (REST), the live stream and its events.
// State lives here; api.js talks HTTP, stream.js the WebSocket, tables.js renders, format.js formats.
import { ApiError, get, request, withQuery } from './api.js';
import { keepRaw } from './json.js';
import { Stream } from './stream.js';
import { loadHistory } from './history.js';
import { countEvent, startRateChart } from './rate.js';
import { el, feedItem, fillBody, positionKey, renderMetrics, renderPdt, renderPositions, setBadge, signalRow } from './tables.js';

const KEY_STORE = 'elpyfi.apiKey';
const PAGE_SIZE = 20;
const FEED_MAX = 100;
const HEALTH_EVERY_MS = 15000;
const POSITION_FIELDS = ['symbol', 'strategy', 'quantity', 'entry_price', 'current_price', 'unrealized_pl'];
const SIGNAL_FIELDS = ['id', 'strategy', 'symbol', 'action', 'confidence', 'timestamp'];

const $ = (id) => document.getElementById(id);

const state = {
  key: null,
  // The public view (no key, ELPYFI_PUBLIC_PATHS set): the public templates from /health's X-Public-Paths, and
  // the panels they open (the others are never requested: events that would refresh them are ignored).
  publicPaths: null,
  openPanels: new Set(),
  stream: null,
  positions: [],
  signals: { strategy: '', action: '', before: null, history: [], rows: [] },
  proposals: [],
};

// ---- the key ------------------------------------------------------------------------------------------------

/** Shows the key form with `message` (a refusal says so plainly) and stops everything that used the old key.
 * In the public view the public panels stay on screen below the form. */
function askForKey(message) {
  if (state.key || !state.publicPaths) {
    state.stream?.stop();
    state.stream = null;
  }
  state.key = null;
  sessionStorage.removeItem(KEY_STORE);
  $('dashboard').hidden = !state.publicPaths;
  $('change-key').hidden = true;
  $('key-panel').hidden = false;
  $('key-message').textContent = message;
  $('key-input').value = '';
  $('key-input').focus();
}

/** Checks a key with one cheap authenticated GET, then opens the dashboard with it. */
async function useKey(key) {
  if (!key) return askForKey('Enter an API key.');
  try {
    await get('/pdt/status', key);
  } catch (e) {
    // Any other failure (503 while PostgreSQL is down, network) says nothing about the key: go on, and let
    // each snapshot report its own error until it loads.
    if (e instanceof ApiError && e.isAuth) return askForKey(authMessage(e));
  }
  state.stream?.stop();
  state.key = key;
  state.publicPaths = null;
  unlockPanels();
  sessionStorage.setItem(KEY_STORE, key);
  $('key-panel').hidden = true;
  $('dashboard').hidden = false;
  $('change-key').hidden = false;
  $('change-key').textContent = 'Change key';
  // The stream reads its position first and then asks for the snapshots (onResync): no refresh here.
  state.stream = new Stream(key, { onEvent, onResync, onStatus, onRefused });
  state.stream.start();
}

function authMessage(e) {
  return e.status === 403
    ? 'That key was refused (403 invalid_api_key). Check it and enter it again, or use another key.'
    : 'This API needs a key (401 missing_api_key). Enter one to continue.';
}

// ---- the public view: no key, only what ELPYFI_PUBLIC_PATHS lists --------------------------------------------

// What each panel reads: it is public when all of it is (the worker decides; /health names the public templates).
const NEEDS = {
  positions: ['/positions'],
  signals: ['/signals/recent'],
  proposals: ['/signals/proposed'],
  metrics: ['/strategies', '/metrics/{strategy}'],
  pdt: ['/pdt/status'],
  history: ['/strategies', '/metrics/{strategy}/history'],
};
const STREAMS = ['/ws', '/ws/trades', '/ws/signals'];
// The element each panel fills: its card is marked when it needs a key.
const ANCHORS = {
  positions: 'positions', signals: 'signals', proposals: 'proposals', metrics: 'metrics', pdt: 'pdt', feed: 'feed',
  history: 'pl-charts',
};

/** Without a saved key: the public panels at once if the deployment has any, else the key form (as before). */
async function openPublicView() {
  let paths = [];
  try {
    const res = await fetch('/health', { cache: 'no-cache', credentials: 'omit' });
    paths = (res.headers.get('X-Public-Paths') || '').split(',').filter(Boolean);
  } catch {
    paths = [];
  }
  if (state.key) return; // a key was entered meanwhile
  if (paths.length === 0) return askForKey('');
  state.publicPaths = new Set(paths);
  $('key-panel').hidden = true;
  $('dashboard').hidden = false;
  $('change-key').hidden = false;
  $('change-key').textContent = 'Enter API key';
  const open = Object.keys(NEEDS).filter((name) => NEEDS[name].every((p) => state.publicPaths.has(p)));
  state.openPanels = new Set(open);
  for (const name of Object.keys(NEEDS)) if (!open.includes(name)) lockPanel(name);
  const stream = STREAMS.find((p) => state.publicPaths.has(p));
  if (!stream) refresh(...open); // with a stream, its start asks for the snapshots once it has the position
  if (stream) {
    state.stream = new Stream(null, { onEvent, onResync: () => refresh(...open), onStatus, onRefused: () => {} }, stream);
    state.stream.start();
  } else {
    lockPanel('feed');
  }
}

/** Marks a panel as needing a key: its content is hidden and a note with a button asks for one. */
function lockPanel(name) {
  if (name === 'pdt') {
    $('pdt').textContent = 'PDT: needs an API key';
    $('pdt').dataset.locked = 'true';
    return;
  }
  const card = $(ANCHORS[name]).closest('.card');
  if (card.classList.contains('locked')) return;
  card.classList.add('locked');
  const button = el('button', { type: 'button', textContent: 'Enter API key' });
  button.addEventListener('click', () => askForKey('This panel needs an API key.'));
  const note = el('p', { className: 'locked-note' }, 'Needs an API key. ', button);
  (card.querySelector('.card-head') ?? card.querySelector('h2')).after(note);
}

function unlockPanels() {
  for (const card of document.querySelectorAll('.card.locked')) {
    card.classList.remove('locked');
    card.querySelector('.locked-note')?.remove();
  }
  delete $('pdt').dataset.locked;
}

// ---- snapshots over REST ------------------------------------------------------------------------------------

const LOADERS = {
  async positions() {
    state.positions = await get('/positions', state.key);
    renderPositions(state.positions);
  },
  async signals() {
    const f = state.signals;
    const path = withQuery('/signals/recent', { limit: PAGE_SIZE, strategy: f.strategy, action: f.action, before_id: f.before });
    f.rows = await get(path, state.key);
    renderSignals();
  },
  async proposals() {
    state.proposals = await get('/signals/proposed?limit=50', state.key);
    renderProposals();
  },
  async metrics() {
    const strategies = await get('/strategies', state.key);
    fillStrategyFilter(strategies);
    const list = await Promise.all(strategies.map(async (s) => ({
      strategy: s.name,
      metrics: await get(`/metrics/${encodeURIComponent(s.name)}`, state.key),
    })));
    renderMetrics(list);
  },
  async pdt() {
    renderPdt(await get('/pdt/status', state.key));
  },
  history: () => loadHistory(state.key), // the P/L charts (history.js)
};

// Coalesces refetches: a burst of events (or a resync while a load runs) costs one request per snapshot.
const jobs = {};
function refresh(...names) {
  for (const name of names) {
    if (!state.key && state.publicPaths && !state.openPanels.has(name)) continue; // needs a key: not asked for
    const job = (jobs[name] ??= { timer: null, running: false, again: false });
    if (job.running) job.again = true;
    else if (!job.timer) job.timer = setTimeout(() => run(name), 50);
  }
}

async function run(name) {
  const job = jobs[name];
  job.timer = null;
  job.running = true;
  try {
    if (state.key || state.publicPaths) await LOADERS[name]();
    setError(name, '');
  } catch (e) {
    if (e instanceof ApiError && e.isAuth && !state.key && state.publicPaths) lockPanel(name);
    else if (e instanceof ApiError && e.isAuth) askForKey(authMessage(e));
    else setError(name, describe(e));
  } finally {
    job.running = false;
    if (job.again) {
      job.again = false;
      refresh(name);
    }
  }
}

function describe(e) {
  return e instanceof ApiError ? `${e.status} ${e.code}` : 'network error';
}

// The failing snapshots, grouped by cause ("Could not load positions, pdt (503 database_unavailable)."); each is
// cleared when it loads again (e.g. once PostgreSQL is back).
const errors = {};
function setError(name, cause) {
  if (cause) errors[name] = cause;
  else delete errors[name];
  const byCause = {};
  for (const [n, c] of Object.entries(errors)) (byCause[c] ??= []).push(n);
  $('error').textContent = Object.entries(byCause)
    .map(([c, names]) => `Could not load ${names.join(', ')} (${c}).`).join(' ');
}

// ---- signals: filters and keyset paging --------------------------------------------------------------------

function renderSignals(freshId = null) {
  const f = state.signals;
  const rows = f.rows.map((s) => signalRow(s, { fresh: s.id === freshId }));
  fillBody($('signals').tBodies[0], rows, 7, 'No signals match.');
  $('signals-older').disabled = f.rows.length < PAGE_SIZE;
  $('signals-newer').disabled = f.before === null;
  $('signals-newest').disabled = f.before === null;
  $('signals-page').textContent = f.before === null ? 'newest' : `older than #${f.before}`;
}

function renderProposals(freshId = null) {
  const rows = state.proposals.map((s) => signalRow(s, { compact: true, fresh: s.id === freshId }));
  fillBody($('proposals').tBodies[0], rows, 5, 'No pending proposals.');
  $('proposals-count').textContent = `(${state.proposals.length})`;
}

function fillStrategyFilter(strategies) {
  const select = $('filter-strategy');
  const current = select.value;
  const names = strategies.map((s) => s.name);
  if (current && !names.includes(current)) names.push(current);
  select.replaceChildren(el('option', { value: '', textContent: 'all' }),
    ...names.map((n) => el('option', { value: n, textContent: n, selected: n === current })));
}

function pageSignals(before, history) {
  Object.assign(state.signals, { before, history });
  refresh('signals');
}

// ---- live events ----------------------------------------------------------------------------------------------

function onStatus(text, st) {
  setBadge('feed-status', text, st);
}

function onResync() {
  refresh(...Object.keys(LOADERS));
  refreshHealth();
}

async function onRefused() {
  try {
    await get('/pdt/status', state.key);
  } catch (e) {
    if (e instanceof ApiError && e.isAuth) askForKey(authMessage(e));
  }
}

const hasAll = (d, fields) => fields.every((f) => d[f] !== undefined);

function onEvent(event) {
  countEvent(event); // the event-rate chart (rate.js)
  const feed = $('feed');
  feed.prepend(feedItem(event));
  while (feed.childElementCount > FEED_MAX) feed.lastElementChild.remove();

  const type = String(event.type);
  const d = event.data && typeof event.data === 'object' ? event.data : {};
  if (type === 'position.opened' || type === 'position.updated' || type === 'position.closed') {
    // REST rows have no id, so (strategy, symbol) identifies a row; when that is ambiguous, or the event lacks
    // the fields a row needs, refetch the snapshot instead of guessing.
    const matches = state.positions.filter((p) => positionKey(p) === positionKey(d)).length;
    const opened = type === 'position.opened' && matches === 0 && hasAll(d, POSITION_FIELDS);
    const updated = type === 'position.updated' && matches === 1 && hasAll(d, POSITION_FIELDS);
    const closed = type === 'position.closed' && matches === 1;
    if (opened || updated) upsertPosition(d);
    else if (closed) removePosition(d);
    else refresh('positions');
    if (type === 'position.closed') refresh('metrics', 'history');
  } else if (type.startsWith('position.')) {
    refresh('positions');
  } else if (type === 'signal.generated' && hasAll(d, SIGNAL_FIELDS)) {
    addSignal(d);
  } else if (type.startsWith('signal.')) {
    refresh('signals', 'proposals');
  } else if (type.startsWith('trade.') || type.startsWith('order.')) {
    refresh('positions', 'metrics', 'pdt', 'history');
  } else if (type.startsWith('pdt.')) {
    refresh('pdt');
  } else if (type.startsWith('metrics.')) {
    refresh('metrics', 'history');
  }
}

function upsertPosition(d) {
  const row = keepRaw(Object.fromEntries(POSITION_FIELDS.map((f) => [f, d[f]])), d);
  const key = positionKey(row);
  const list = state.positions.filter((p) => positionKey(p) !== key);
  list.push(row);
  // Same order as the API: strategy, then symbol.
  list.sort((a, b) => (a.strategy === b.strategy ? cmp(a.symbol, b.symbol) : cmp(a.strategy, b.strategy)));
  state.positions = list;
  renderPositions(list, key);
  refreshIfLoading('positions');
}

function removePosition(d) {
  const key = positionKey(d);
  state.positions = state.positions.filter((p) => positionKey(p) !== key);
  renderPositions(state.positions);
  refreshIfLoading('positions');
}

// A snapshot request already in flight may have been answered before this event's row was committed; its answer
// would undo the in-place update, so load once more after it.
function refreshIfLoading(name) {
  if (jobs[name]?.running) refresh(name);
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function addSignal(d) {
  const row = keepRaw({ ...d, metadata: d.metadata ?? {} }, d);
  const f = state.signals;
  // Only the newest page shows new rows, and only when they pass the filters.
  if (f.before === null && (!f.strategy || f.strategy === row.strategy) && (!f.action || f.action === row.action)
      && !f.rows.some((s) => s.id === row.id)) {
    f.rows = [row, ...f.rows].slice(0, PAGE_SIZE);
    renderSignals(row.id);
    refreshIfLoading('signals');
  }
  if (row.action === 'proposed' && !state.proposals.some((s) => s.id === row.id)) {
    state.proposals = [row, ...state.proposals];
    renderProposals(row.id);
    refreshIfLoading('proposals');
  }
}

// ---- health ---------------------------------------------------------------------------------------------------

let apiWasHealthy = true;
async function refreshHealth() {
  const [api, stream] = await Promise.allSettled([request('/health'), request('/stream/health')]);
  const healthy = api.status === 'fulfilled' && api.value.body?.status === 'healthy';
  if (api.status === 'fulfilled' && api.value.body?.status) {
    const b = api.value.body;
    setBadge('health-api', `API ${b.status} · database ${b.database}`, healthy ? 'ok' : 'bad');
  } else {
    setBadge('health-api', 'API unreachable', 'bad');
  }
  // Back from an outage: reload the snapshots (the stream's resync does too, but it may be down itself).
  if (healthy && !apiWasHealthy) refresh(...Object.keys(LOADERS));
  apiWasHealthy = healthy;
  if (stream.status === 'fulfilled' && stream.value.body?.status) {
    const b = stream.value.body;
    const title = `last event: ${b.last_event_at ?? 'none'} · dropped payloads: ${b.dropped_payloads} · slow consumers closed: ${b.slow_consumers_closed}`;
    setBadge('health-stream', `Stream ${b.status} · ${b.clients} client${b.clients === 1 ? '' : 's'}`,
      b.status === 'healthy' ? 'ok' : 'bad', title);
  } else {
    setBadge('health-stream', 'Stream unreachable', 'bad');
  }
}

// ---- start ----------------------------------------------------------------------------------------------------

function wire() {
  $('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('key-message').textContent = 'Checking…';
    useKey($('key-input').value.trim());
  });
  $('change-key').addEventListener('click', () => askForKey(''));
  $('signal-filters').addEventListener('submit', (ev) => ev.preventDefault());
  $('signal-filters').addEventListener('change', () => {
    Object.assign(state.signals, { strategy: $('filter-strategy').value, action: $('filter-action').value });
    pageSignals(null, []);
  });
  $('signals-older').addEventListener('click', () => {
    const f = state.signals;
    const last = f.rows[f.rows.length - 1];
    if (last) pageSignals(last.id, [...f.history, f.before]);
  });
  $('signals-newer').addEventListener('click', () => {
    const history = [...state.signals.history];
    pageSignals(history.pop() ?? null, history);
  });
  $('signals-newest').addEventListener('click', () => pageSignals(null, []));
}

wire();
startRateChart();
refreshHealth();
setInterval(refreshHealth, HEALTH_EVERY_MS);
const saved = sessionStorage.getItem(KEY_STORE);
if (saved) useKey(saved);
else openPublicView();
