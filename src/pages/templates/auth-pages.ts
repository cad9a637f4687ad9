// Built-in page bodies (Mustache), rendered into the layout. Every form carries {{csrf}}; every field comes from the
// `field` partial (label tied to the input, hint and error tied by aria-describedby, aria-invalid on error).

/** One form field: label, optional hint, error message, the input. */
export const FIELD = `<div class="field"><label for="{{id}}">{{label}}</label>{{#hint}}<p class="hint" id="{{id}}-hint">{{hint}}</p>{{/hint}}{{#error}}<p class="field-error" id="{{id}}-error">{{error}}</p>{{/error}}<input id="{{id}}" name="{{name}}" type="{{type}}" value="{{value}}"{{#autocomplete}} autocomplete="{{autocomplete}}"{{/autocomplete}}{{#inputmode}} inputmode="{{inputmode}}"{{/inputmode}}{{#required}} required{{/required}}{{#describedby}} aria-describedby="{{describedby}}"{{/describedby}}{{#error}} aria-invalid="true"{{/error}}{{#maxlength}} maxlength="{{maxlength}}"{{/maxlength}}></div>`;

const CSRF = '<input type="hidden" name="csrf" value="{{csrf}}">';

/** The sign-in page. */
export const LOGIN = `{{#local}}<form method="post" action="/.gatehouse/login" novalidate>${CSRF}<input type="hidden" name="rd" value="{{rd}}">
{{#fields.email}}{{> field}}{{/fields.email}}
{{#fields.password}}{{> field}}{{/fields.password}}
<button type="submit">Sign in</button>
</form>
{{#forgot_password}}<p><a href="/.gatehouse/forgot-password">Forgot your password?</a></p>{{/forgot_password}}{{/local}}
{{#passkeys}}<form method="post" action="/.gatehouse/passkey/login" id="passkey-login" data-rd="{{rd}}">${CSRF}<input type="hidden" name="rd" value="{{rd}}"><input type="hidden" name="handle" value=""><input type="hidden" name="response" value="">
<button type="submit" class="secondary" id="passkey-login-button">Sign in with a passkey</button>
<p class="hint" id="passkey-login-status" role="status"></p></form>{{/passkeys}}
{{#has_providers}}<div class="providers">{{#providers}}<a class="button secondary provider" href="{{href}}">Sign in with {{label}}</a>{{/providers}}</div>{{/has_providers}}
{{#register}}<p>No account yet? <a href="/.gatehouse/register">Create one</a>.</p>{{/register}}`;

/** "Forgot your password?": asks for the email a reset link goes to. */
export const FORGOT_PASSWORD = `<p>Enter the email address of your account. If it has an account, we send it a link to choose a new password.</p>
<form method="post" action="/.gatehouse/forgot-password" novalidate>${CSRF}
{{#fields.email}}{{> field}}{{/fields.email}}
<button type="submit">Send the link</button>
</form>
<p><a href="/.gatehouse/login">Back to sign in</a></p>`;

/** The same answer whether or not the account exists. */
export const FORGOT_PASSWORD_SENT = `<p>If <strong>{{email}}</strong> has an account here, a message with a link to choose a new password is on its way. The link works once and expires in {{expires_in}}.</p>
<p>Nothing arrived? Check your spam folder, or <a href="/.gatehouse/forgot-password">ask again</a> in a few minutes.</p>
<p><a href="/.gatehouse/login">Back to sign in</a></p>`;

/** Choose a new password (from a reset link). */
export const RESET_PASSWORD = `<p>Choose a new password for <strong>{{email}}</strong>. Every session of the account is signed out when it changes.</p>
<form method="post" action="/.gatehouse/reset-password" novalidate>${CSRF}<input type="hidden" name="token" value="{{token}}">
<input type="email" name="username" value="{{email}}" autocomplete="username" hidden aria-hidden="true" tabindex="-1">
{{#fields.password}}{{> field}}{{/fields.password}}
{{#fields.password_confirm}}{{> field}}{{/fields.password_confirm}}
<button type="submit">Change my password</button>
</form>`;

/** Confirm an address (from a verification link): a button, so a mail scanner's GET cannot use the link. */
export const VERIFY_EMAIL = `<p>Confirm that <strong>{{email}}</strong> is your address.</p>
<form method="post" action="/.gatehouse/verify-email">${CSRF}<input type="hidden" name="token" value="{{token}}">
<button type="submit">Confirm my address</button>
</form>`;

/** A short message with an optional link onward. */
export const MESSAGE = `{{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}
{{#link}}<p><a href="{{href}}">{{label}}</a></p>{{/link}}`;

/** Sign out confirmation (never on GET alone). */
export const LOGOUT = `<p>Sign out of {{product_name}} on this browser?</p>
<form method="post" action="/.gatehouse/logout">${CSRF}<input type="hidden" name="rd" value="{{rd}}">
<button type="submit">Sign out</button>
</form>`;

/** An error page. */
export const ERROR = `<p>{{message}}</p><p class="hint">Error code: <code>{{code}}</code></p>
<p><a href="/">Go to the start page</a></p>`;
