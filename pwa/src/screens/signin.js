// Sign-in: name, password and the device's name (the device token is named after it).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { defaultDeviceName, signIn } from '../auth.js';
import { t } from '../i18n.js';
import { LangSwitch } from './common.js';

export function SignIn({ onSignedIn }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    setBusy(true); setError(null);
    try {
      onSignedIn(await signIn(form.get('name').trim(), form.get('password'), form.get('device').trim() || defaultDeviceName()));
    } catch (err) {
      setError(err.message); setBusy(false);
    }
  }
  return html`<main class="signin">
    <h1>${t('app.title')}</h1>
    <p>${t('signin.intro')}</p>
    <form onSubmit=${submit} novalidate>
      <label for="name">${t('signin.name')}</label>
      <input id="name" name="name" autocomplete="username" autocapitalize="none" required />
      <label for="password">${t('signin.password')}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <label for="device">${t('signin.device')}</label>
      <input id="device" name="device" value=${defaultDeviceName()} aria-describedby="device-help" />
      <p id="device-help" class="small">${t('signin.deviceHelp')}</p>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button class="primary" type="submit" disabled=${busy}>${busy ? t('signin.busy') : t('signin.submit')}</button>
    </form>
    <${LangSwitch} />
  </main>`;
}
