// format.js: numbers and times for people. Each formatter takes the parsed value; the exact API text goes in the
// cell's tooltip (tables.js), so rounding here never hides a digit for good.

const price2 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const priceSmall = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 6 });
const money = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero',
});
const quantity = new Intl.NumberFormat(undefined, { maximumFractionDigits: 8 });
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const ratio = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** Formatters by kind; null/undefined (the API's NaN, or a missing value) shows as an em dash. */
const KINDS = {
  // Two decimals for prices; sub-unit prices (a 0.1618 coin) keep up to six so they do not read as 0.16.
  price: (v) => (Math.abs(v) >= 1 || v === 0 ? price2 : priceSmall).format(v),
  money: (v) => money.format(v),
  quantity: (v) => quantity.format(v),
  integer: (v) => integer.format(v),
  ratio: (v) => ratio.format(v),
  percent: (v) => percent.format(v), // the API's win_rate and max_drawdown are fractions (0.55 = 55 %)
};

/** Formats `value` as `kind` (price, money, quantity, integer, ratio, percent). */
export function formatNumber(kind, value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return KINDS[kind](value);
}

/** -1, 0 or 1: drives the green/red colouring of P/L cells. */
export function sign(value) {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

/** An RFC 3339 timestamp in the viewer's local time zone (date and time). */
export function formatDateTime(ts) {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts ?? '—') : dateTime.format(d);
}

/** Local time of day only (for the live feed). */
export function formatTime(ts) {
  const d = ts ? new Date(ts) : new Date();
  return Number.isNaN(d.getTime()) ? String(ts) : timeOnly.format(d);
}

/** A YYYY-MM-DD date as the viewer writes dates (no time-zone shift: it is a calendar date). */
export function formatDate(day) {
  const [y, m, d] = String(day).split('-').map(Number);
  if (!y || !m || !d) return String(day ?? '—');
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d));
}

/**
 * The exact sum of decimal literals ("150.250", "-0.03") as a decimal string, using BigInt so per-strategy P/L
 * totals never pick up float noise. Returns null if a literal is not plain decimal text (then callers use floats).
 */
export function sumDecimals(literals) {
  const DECIMAL = /^-?\d+(\.\d+)?$/;
  if (!literals.every((t) => DECIMAL.test(t))) return null;
  const scale = Math.max(0, ...literals.map((t) => (t.split('.')[1] ?? '').length));
  let total = 0n;
  for (const t of literals) {
    const [whole, frac = ''] = t.replace('-', '').split('.');
    const units = BigInt(whole + frac.padEnd(scale, '0'));
    total += t.startsWith('-') ? -units : units;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}
