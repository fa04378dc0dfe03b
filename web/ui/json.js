// json.js: JSON.parse that also keeps each number's exact source text.
// Why: the API writes numeric columns with exactly the stored digits (`150.250`), and JSON.parse turns that into
// 150.25. The status page shows rounded numbers and the exact text in a tooltip, so it needs the literal. A small
// recursive-descent parser is portable (JSON.parse's `context.source` is not in every browser yet) and leaves the
// values plain JS numbers, so the rest of the code does ordinary arithmetic; the literals ride along in a hidden map.

/** Symbol under which each parsed object keeps `{key: "literal text"}` for its number-valued keys. */
export const RAW = Symbol('raw');

/** Parses JSON text like JSON.parse; objects with number values get a non-enumerable RAW map of their literals. */
export function parseExact(text) {
  const p = new Parser(text);
  const value = p.value();
  p.space();
  if (p.i !== text.length) p.fail('trailing characters');
  return value;
}

/** The exact text of obj[key] as the server wrote it (falls back to String(value)); '' for null/undefined. */
export function rawOf(obj, key) {
  const literal = obj?.[RAW]?.[key];
  if (literal !== undefined) return literal;
  const v = obj?.[key];
  return v === null || v === undefined ? '' : String(v);
}

/** Copies the RAW map of `from` onto `to` (used when a row is rebuilt from an event's data). */
export function keepRaw(to, from) {
  return withRaw(to, { ...from?.[RAW] });
}

function withRaw(target, raw) {
  if (Object.keys(raw).length) Object.defineProperty(target, RAW, { value: raw, enumerable: false });
  return target;
}

class Parser {
  constructor(text) {
    this.s = text;
    this.i = 0;
  }

  fail(why) {
    throw new SyntaxError(`JSON: ${why} at offset ${this.i}`);
  }

  space() {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }

  value() {
    this.space();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number().value;
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail('unexpected character');
  }

  object() {
    const obj = {};
    const raw = {};
    this.i++; // {
    this.space();
    if (this.s[this.i] === '}') {
      this.i++;
      return obj;
    }
    for (;;) {
      this.space();
      if (this.s[this.i] !== '"') this.fail('expected a key');
      const key = this.string();
      this.space();
      if (this.s[this.i++] !== ':') this.fail('expected :');
      obj[key] = this.member(raw, key);
      this.space();
      const sep = this.s[this.i++];
      if (sep === '}') break;
      if (sep !== ',') this.fail('expected , or }');
    }
    return withRaw(obj, raw);
  }

  array() {
    const arr = [];
    const raw = {};
    this.i++; // [
    this.space();
    if (this.s[this.i] === ']') {
      this.i++;
      return arr;
    }
    for (;;) {
      arr.push(this.member(raw, arr.length));
      this.space();
      const sep = this.s[this.i++];
      if (sep === ']') return withRaw(arr, raw);
      if (sep !== ',') this.fail('expected , or ]');
    }
  }

  // One object member or array element; a number's literal text is recorded in `raw` under its key/index.
  member(raw, key) {
    this.space();
    const c = this.s[this.i];
    if (c !== '-' && !(c >= '0' && c <= '9')) return this.value();
    const n = this.number();
    raw[key] = n.text;
    return n.value;
  }

  // Finds the closing quote, then lets JSON.parse decode the escapes (it is exact for strings).
  string() {
    const start = this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.i >= this.s.length) this.fail('unterminated string');
    this.i++;
    return JSON.parse(this.s.slice(start, this.i));
  }

  number() {
    const start = this.i;
    while (this.i < this.s.length && '+-.eE0123456789'.includes(this.s[this.i])) this.i++;
    const text = this.s.slice(start, this.i);
    return { text, value: JSON.parse(text) }; // JSON.parse rejects malformed literals (`01`, `1.`, `--1`).
  }
}

/** JSON text of a parsed value with numbers written as their original literals (for metadata tooltips). */
export function stringifyExact(value) {
  if (Array.isArray(value)) {
    return `[${value.map((v, i) => (typeof v === 'number' ? rawOf(value, i) : stringifyExact(v))).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const parts = Object.keys(value).map((k) => {
      const v = typeof value[k] === 'number' ? rawOf(value, k) : stringifyExact(value[k]);
      return `${JSON.stringify(k)}:${v}`;
    });
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
