import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The page script behind every passkey button: ask Gatehouse for options, let the browser talk to the
 * authenticator (@simplewebauthn/browser), put the answer in the form's hidden fields and submit the form. Forms
 * are ordinary POSTs: without JavaScript they are refused with a message, every other form works without it.
 */
const PASSKEYS_JS = `(function () {
  'use strict';
  var flows = [
    { form: 'passkey-login', options: '/.gatehouse/passkey/options', kind: 'authenticate' },
    { form: 'passkey-mfa', options: '/.gatehouse/mfa/passkey/options', kind: 'authenticate' },
    { form: 'passkey-add', options: '/.gatehouse/account/passkeys/options', kind: 'register' }
  ];
  function say(form, text) {
    var status = document.getElementById(form.id + '-status');
    if (status) status.textContent = text;
  }
  flows.forEach(function (flow) {
    var form = document.getElementById(flow.form);
    if (!form) return;
    if (!window.PublicKeyCredential || !window.SimpleWebAuthnBrowser) {
      say(form, 'This browser cannot use passkeys.');
      return;
    }
    form.addEventListener('submit', function (event) {
      if (form.elements.response.value !== '') return;
      event.preventDefault();
      say(form, 'Waiting for your passkey...');
      var passwordless = form.elements.passwordless && form.elements.passwordless.checked;
      fetch(flow.options, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ passwordless: !!passwordless }) })
        .then(function (res) { if (!res.ok) throw new Error('the server refused (' + res.status + ')'); return res.json(); })
        .then(function (answer) {
          form.elements.handle.value = answer.handle;
          return flow.kind === 'register'
            ? SimpleWebAuthnBrowser.startRegistration({ optionsJSON: answer.options })
            : SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: answer.options });
        })
        .then(function (response) {
          form.elements.response.value = JSON.stringify(response);
          say(form, 'Checking...');
          form.submit();
        })
        .catch(function (err) { say(form, 'The passkey was not used: ' + (err && err.message ? err.message : err)); });
    });
  });
}());
`;

/** GET handlers for the two scripts, read once at start (Gatehouse serves them itself: no CDN). */
export function passkeyAssetEndpoints(): { browser: (req: IncomingMessage, res: ServerResponse) => void; glue: (req: IncomingMessage, res: ServerResponse) => void } {
  const require = createRequire(import.meta.url);
  const bundle = readFileSync(join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'));
  const script = (body: Buffer | string) => (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };
  return { browser: script(bundle), glue: script(PASSKEYS_JS) };
}
