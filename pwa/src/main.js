// Entry point: the language, the service worker (with its "new version: reload" flow), the app.
import './app.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { Workbox } from 'workbox-window';
import { App } from './app.js';
import { setLang, currentLang } from './i18n.js';

setLang(currentLang());
const root = document.getElementById('app');
root.textContent = '';
const show = (update) => render(html`<${App} update=${update} />`, root);
show(null);

if ('serviceWorker' in navigator) {
  const wb = new Workbox('/sw.js');
  wb.addEventListener('waiting', () => show(() => {
    wb.addEventListener('controlling', () => location.reload());
    wb.messageSkipWaiting();
  }));
  wb.register().catch(() => {});
}
