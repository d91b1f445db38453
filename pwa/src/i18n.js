// Every string the app shows comes from a message catalogue (vi by default, en switchable).
// Text is NFC; numbers, money and dates use Intl for the chosen locale.
import vi from './messages/vi.json';
import en from './messages/en.json';

const CATALOGUES = { vi, en };
const LOCALES = { vi: 'vi-VN', en: 'en-GB' };
let lang = localStorage.getItem('thidua.lang') === 'en' ? 'en' : 'vi';

export const currentLang = () => lang;
export function setLang(next) {
  lang = CATALOGUES[next] ? next : 'vi';
  localStorage.setItem('thidua.lang', lang);
  document.documentElement.lang = lang;
}

/** The message `key` with `{name}` placeholders filled from `params`, in NFC. */
export function t(key, params = {}) {
  const text = CATALOGUES[lang][key] ?? CATALOGUES.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? '')).normalize('NFC');
}

export const formatNumber = (n, digits = 0) =>
  new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: digits }).format(n);
export const formatMoney = (n) =>
  new Intl.NumberFormat(LOCALES[lang], { style: 'currency', currency: 'VND' }).format(n);
export const formatDateTime = (value) =>
  new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'short', timeStyle: 'short' }).format(new Date(value));
/** An ISO date (YYYY-MM-DD) as the locale writes it. */
export const formatDate = (iso) =>
  new Intl.DateTimeFormat(LOCALES[lang], { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(new Date(iso + 'T00:00:00Z'));
/** Points in tenths (875) as "87,5". */
export const formatTenths = (tenths) => formatNumber(Number(tenths) / 10, 1);
