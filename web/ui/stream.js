// stream.js: the live event feed from /ws. A fresh start follows the contract's "snapshot and stream without a
// hole": the position from /stream/health, then the page's snapshots (onResync), then the socket from that position,
// so every change committed after the position arrives (the page applies events idempotently). Keeps the last epoch
// and seq so a reconnect resumes with ?since=SEQ&epoch=E (the sidecar replays what was missed); asks the page to
// refetch its snapshots when that is not possible (stream.gap), when the sidecar's LISTEN was re-established
// (stream.resumed), and on a fresh connect whose position could not be read first.
// Reconnects with exponential backoff and jitter (0.5 s doubling to 15 s), reset once a connection is confirmed.
import { parseExact } from './json.js';

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

/** One auto-reconnecting stream connection (`path`, default /ws; no key = anonymous, on a public stream).
 * Callbacks: onEvent(event), onResync(reason), onStatus(text, state), onRefused(). */
export class Stream {
  constructor(key, { onEvent, onResync, onStatus, onRefused }, path = '/ws') {
    this.key = key;
    this.path = path;
    this.on = { onEvent, onResync, onStatus, onRefused };
    this.epoch = null;
    this.seq = null;
    this.delay = MIN_DELAY_MS;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
  }

  /** Reads the position, has the page load its snapshots, then opens the socket from there (a reconnect resumes). */
  async start() {
    this.stopped = false;
    if (this.epoch === null) {
      try {
        const health = await (await fetch('/stream/health', { cache: 'no-store', credentials: 'omit' })).json();
        if (typeof health.epoch === 'string' && Number.isInteger(health.seq)) {
          [this.epoch, this.seq] = [health.epoch, health.seq];
          this.on.onResync('position');
        }
      } catch {
        // No position (sidecar unreachable): connect plainly; `connected` then triggers the snapshots.
      }
      if (this.stopped) return;
    }
    this.open();
  }

  /** Opens the socket (resuming when an epoch and seq are known). */
  open() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const params = new URLSearchParams(this.key ? { api_key: this.key } : {});
    const resuming = this.epoch !== null && this.seq !== null;
    if (resuming) {
      params.set('since', String(this.seq));
      params.set('epoch', this.epoch);
    }
    let confirmed = false;
    const query = params.toString();
    const ws = new WebSocket(`${proto}//${location.host}${this.path}${query ? `?${query}` : ''}`);
    this.ws = ws;
    this.on.onStatus(resuming ? `reconnecting (since #${this.seq})…` : 'connecting…', 'wait');

    ws.onmessage = (msg) => {
      if (typeof msg.data !== 'string' || msg.data === 'pong') return;
      let event;
      try {
        event = parseExact(msg.data);
      } catch {
        return; // the sidecar only relays JSON objects; ignore anything else
      }
      if (event.type === 'connected') {
        confirmed = true;
        this.delay = MIN_DELAY_MS;
        this.epoch = event.epoch;
        if (!resuming) {
          this.seq = event.seq;
          this.on.onResync('connected');
        }
        this.on.onStatus(`live · epoch ${event.epoch} · #${this.seq}`, 'ok');
      } else if (event.type === 'stream.gap' || event.type === 'stream.resumed') {
        // Events were lost (ring overrun, old epoch, or the sidecar's LISTEN was re-established): start over.
        this.epoch = event.epoch;
        this.seq = event.seq;
        this.on.onResync(event.type);
      } else if (typeof event.seq === 'number') {
        this.seq = event.seq;
      }
      this.on.onEvent(event);
      if (confirmed) this.on.onStatus(`live · epoch ${this.epoch} · #${this.seq}`, 'ok');
    };

    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      // A refused upgrade (401/403) looks like any failed connect to a browser: let the page re-check the key.
      if (!confirmed) this.on.onRefused();
      const wait = Math.round(this.delay * (0.75 + Math.random() * 0.5));
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      const why = ev.code === 1008 ? ` (${ev.reason || 'closed by server'})` : '';
      this.on.onStatus(`disconnected${why}; retrying in ${(wait / 1000).toFixed(1)} s`, 'bad');
      this.timer = setTimeout(() => this.open(), wait);
    };
  }

  /** Closes the socket and stops reconnecting. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, 'bye');
    this.ws = null;
  }
}
