// Built-in bodies (Mustache) of the second-factor and self-service account pages.

const CSRF = '<input type="hidden" name="csrf" value="{{csrf}}">';

/** The second step of a sign-in, or a step-up: a code from the app, a recovery code, or a passkey. */
export const SECOND_FACTOR = `<p>{{intro}}</p>
{{#totp}}<form method="post" action="/.gatehouse/mfa" novalidate>${CSRF}<input type="hidden" name="method" value="totp"><input type="hidden" name="rd" value="{{rd}}">
{{#fields.code}}{{> field}}{{/fields.code}}
<button type="submit">Verify</button>
</form>{{/totp}}
{{#passkey}}<form method="post" action="/.gatehouse/mfa/passkey" id="passkey-mfa" data-rd="{{rd}}">${CSRF}<input type="hidden" name="rd" value="{{rd}}"><input type="hidden" name="handle" value=""><input type="hidden" name="response" value="">
<button type="submit" class="{{#totp}}secondary{{/totp}}" id="passkey-mfa-button">Use a passkey</button>
<p class="hint" id="passkey-mfa-status" role="status"></p></form>{{/passkey}}
{{#recovery}}<details{{#recovery_open}} open{{/recovery_open}}><summary>Use a recovery code</summary>
<form method="post" action="/.gatehouse/mfa" novalidate>${CSRF}<input type="hidden" name="method" value="recovery"><input type="hidden" name="rd" value="{{rd}}">
{{#fields.recovery_code}}{{> field}}{{/fields.recovery_code}}
<button type="submit" class="secondary">Use this recovery code</button>
</form></details>{{/recovery}}
{{#enrol}}<p>This page needs a second factor, and your account has none yet. <a href="/.gatehouse/account">Set one up on your account page</a>.</p>{{/enrol}}
<p><a href="/.gatehouse/logout">Sign out</a></p>`;

/** The self-service account page. */
export const ACCOUNT = `<section aria-labelledby="profile-title"><h2 id="profile-title">Profile</h2>
<p>Email: <strong>{{email}}</strong> {{#email_verified}}(confirmed){{/email_verified}}{{^email_verified}}(not confirmed yet){{/email_verified}}</p>
{{^email_verified}}{{#can_verify}}<form method="post" action="/.gatehouse/verify-email/resend">${CSRF}<button type="submit" class="secondary">Send the confirmation link again</button></form>{{/can_verify}}{{/email_verified}}
<form method="post" action="/.gatehouse/account/profile" novalidate>${CSRF}
{{#fields.name}}{{> field}}{{/fields.name}}
<button type="submit">Save the name</button>
</form></section>
{{#has_password}}<section aria-labelledby="password-title"><h2 id="password-title">Password</h2>
<form method="post" action="/.gatehouse/account/password" novalidate>${CSRF}
<input type="email" name="username" value="{{email}}" autocomplete="username" hidden aria-hidden="true" tabindex="-1">
{{#fields.current_password}}{{> field}}{{/fields.current_password}}
{{#fields.new_password}}{{> field}}{{/fields.new_password}}
{{#fields.new_password_confirm}}{{> field}}{{/fields.new_password_confirm}}
<button type="submit">Change the password</button>
<p class="hint">Changing the password signs out every other session.</p>
</form></section>{{/has_password}}
<section aria-labelledby="mfa-title"><h2 id="mfa-title">Second factors</h2>
{{#mfa_locked}}<p class="notice">To change your second factors, <a href="/.gatehouse/mfa?rd=/.gatehouse/account">confirm one first</a>.</p>{{/mfa_locked}}
{{#totp_enabled}}<h3>Authenticator app</h3>
{{#totp_enrolled}}<p>An authenticator app is set up.</p>{{^mfa_locked}}<form method="post" action="/.gatehouse/account/totp/remove">${CSRF}<button type="submit" class="danger">Remove the authenticator app</button></form>{{/mfa_locked}}{{/totp_enrolled}}
{{^totp_enrolled}}<p>No authenticator app yet.</p>{{^mfa_locked}}<p><a class="button secondary" href="/.gatehouse/account/totp">Set up an authenticator app</a></p>{{/mfa_locked}}{{/totp_enrolled}}{{/totp_enabled}}
<h3>Recovery codes</h3>
<p>{{recovery_left}} unused recovery codes.</p>
{{^mfa_locked}}{{#has_factor}}<form method="post" action="/.gatehouse/account/recovery-codes">${CSRF}<button type="submit" class="secondary">Create new recovery codes</button><p class="hint">The old codes stop working.</p></form>{{/has_factor}}{{/mfa_locked}}
{{#passkeys_enabled}}<h3>Passkeys</h3>
{{#has_passkeys}}<table><caption class="skip">Your passkeys</caption><thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Sign-in</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>
{{#passkeys}}<tr><td>{{name}}</td><td>{{created}}</td><td>{{last_used}}</td><td>{{#passwordless}}instead of a password{{/passwordless}}{{^passwordless}}second factor{{/passwordless}}</td>
<td>{{^mfa_locked}}<form method="post" action="/.gatehouse/account/passkeys/rename" class="row">${CSRF}<input type="hidden" name="id" value="{{id}}"><label for="rename-{{index}}" class="skip">New name for {{name}}</label><input id="rename-{{index}}" name="name" type="text" value="{{name}}" maxlength="64" required><button type="submit" class="secondary">Rename</button></form>
<form method="post" action="/.gatehouse/account/passkeys/remove">${CSRF}<input type="hidden" name="id" value="{{id}}"><button type="submit" class="danger" aria-label="Remove {{name}}">Remove</button></form>{{/mfa_locked}}</td></tr>{{/passkeys}}
</tbody></table>{{/has_passkeys}}
{{^has_passkeys}}<p>No passkeys yet.</p>{{/has_passkeys}}
{{^mfa_locked}}<form method="post" action="/.gatehouse/account/passkeys/add" id="passkey-add" novalidate>${CSRF}<input type="hidden" name="handle" value=""><input type="hidden" name="response" value="">
{{#fields.passkey_name}}{{> field}}{{/fields.passkey_name}}
<div class="row"><input type="checkbox" id="passkey-passwordless" name="passwordless" value="1"><label for="passkey-passwordless">Use it to sign in instead of my password</label></div>
<button type="submit" class="secondary" id="passkey-add-button">Add a passkey</button>
<p class="hint" id="passkey-add-status" role="status"></p>
</form>{{/mfa_locked}}{{/passkeys_enabled}}
</section>
<section aria-labelledby="sessions-title"><h2 id="sessions-title">Sessions</h2>
<table><caption class="skip">Your sessions</caption><thead><tr><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col">From</th><th scope="col">Browser</th></tr></thead><tbody>
{{#sessions}}<tr><td>{{created}}{{#current}} <strong>(this browser)</strong>{{/current}}</td><td>{{last_seen}}</td><td>{{client_ip}}</td><td>{{user_agent}}</td></tr>{{/sessions}}
</tbody></table>
<form method="post" action="/.gatehouse/account/sessions/revoke">${CSRF}<div class="row">
<button type="submit" name="scope" value="others" class="secondary">Sign out other sessions</button>
<button type="submit" name="scope" value="all" class="danger">Sign out everywhere</button></div></form>
</section>
<p><a href="/.gatehouse/logout">Sign out</a></p>`;

/** TOTP enrolment: the QR code, the secret as text, and a code to confirm. */
export const TOTP_SETUP = `<ol><li>Open your authenticator app and add an account.</li><li>Scan this code, or type the key below.</li><li>Enter the six-digit code the app shows.</li></ol>
<div class="qr">{{{qr_svg}}}</div>
<p>Key: <code class="code" id="totp-secret">{{secret}}</code></p>
<form method="post" action="/.gatehouse/account/totp" novalidate>${CSRF}<input type="hidden" name="enrolment" value="{{enrolment}}">
{{#fields.code}}{{> field}}{{/fields.code}}
<button type="submit">Turn on</button>
</form>
<p><a href="/.gatehouse/account">Cancel</a></p>`;

/** Fresh recovery codes, shown once. */
export const RECOVERY_CODES = `<p>Keep these recovery codes somewhere safe. Each works once, when you cannot use your app or passkey. They are shown only now.</p>
<ul class="codes" aria-label="Recovery codes">{{#codes}}<li><code>{{.}}</code></li>{{/codes}}</ul>
<p><a class="button" href="/.gatehouse/account">I have saved them</a></p>`;
