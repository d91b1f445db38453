// Evidence photos of a sheet in the reviewer's drill-down: each attachment is fetched with the
// session's token (an <img src> cannot carry it) into a blob URL, shown as a thumbnail, and
// opened large in a modal dialog on tap.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchBlob } from '../api.js';
import { formatNumber, t } from '../i18n.js';

/** [blob URL | null, error | null] of each item's `href`, revoked when the screen goes. */
function useBlobs(session, items) {
  const [urls, setUrls] = useState({});
  useEffect(() => {
    let live = true;
    const made = [];
    for (const item of items) {
      fetchBlob(session, item.href).then(({ blob }) => {
        const url = URL.createObjectURL(blob);
        made.push(url);
        if (live) setUrls((u) => ({ ...u, [item.href]: [url, null] }));
      }, (e) => live && setUrls((u) => ({ ...u, [item.href]: [null, e.message] })));
    }
    return () => { live = false; made.forEach((u) => URL.revokeObjectURL(u)); };
  }, [items.map((i) => i.href).join('\n')]);
  return urls;
}

export function Photos({ session, items, unit }) {
  const urls = useBlobs(session, items);
  const [open, setOpen] = useState(null);
  const dialog = useRef(null);
  useEffect(() => { if (open !== null && dialog.current && !dialog.current.open) dialog.current.showModal(); }, [open]);
  if (!items.length) return null;
  const alt = (i) => t('photo.alt', { n: formatNumber(i + 1), total: formatNumber(items.length), unit });
  const close = () => { dialog.current?.close(); setOpen(null); };
  return html`<div>
    <h3>${t('photo.title', { n: formatNumber(items.length) })}</h3>
    <ul class="thumbs" data-testid="photos">${items.map((item, i) => {
      const [url, error] = urls[item.href] || [null, null];
      return html`<li>${url
        ? html`<button type="button" class="thumb" aria-label=${t('photo.open', { alt: alt(i) })} onClick=${() => setOpen(i)}>
            <img src=${url} alt=${alt(i)} /></button>`
        : html`<p class=${error ? 'error' : 'small'}>${error || t('photo.loading')}</p>`}</li>`;
    })}</ul>
    <dialog ref=${dialog} class="viewer" aria-label=${open === null ? t('photo.viewer') : alt(open)} onClose=${() => setOpen(null)}>
      ${open !== null && html`<img src=${urls[items[open].href]?.[0]} alt=${alt(open)} data-testid="photo-large" />
        <button type="button" class="primary" onClick=${close}>${t('photo.close')}</button>`}
    </dialog>
  </div>`;
}
