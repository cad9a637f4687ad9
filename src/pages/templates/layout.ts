// The page layout (Mustache). Variables: product_name, title, logo_url, brand (colours), body (the page, raw),
// scripts (paths on this site), alert (a form-wide error), errors (a list of {field, message} for the summary).
/** The built-in layout every page is rendered into. */
export const LAYOUT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{{#has_errors}}Error: {{/has_errors}}{{title}} · {{product_name}}</title>
<style>
:root{--primary:{{brand.primary}};--bg:{{brand.background}};--surface:{{brand.surface}};--text:{{brand.text}};--error:{{brand.error}};--muted:#5b6470}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--surface);padding:.5rem;z-index:2}
header.brand{display:flex;align-items:center;gap:.6rem;max-width:34rem;margin:2rem auto 0;padding:0 1rem;font-weight:600}
header.brand img{max-height:2.5rem;max-width:10rem}
main{max-width:34rem;margin:1rem auto 2rem;padding:1.5rem;background:var(--surface);border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
main.wide{max-width:48rem}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:1.8rem 0 .6rem;padding-top:1rem;border-top:1px solid #d6dbe1}
form{display:grid;gap:.9rem;margin:0 0 1rem}
.field{display:grid;gap:.25rem}
label{font-weight:600}
input[type=email],input[type=password],input[type=text]{font:inherit;padding:.6rem .7rem;border:1px solid #6b7480;border-radius:.3rem;width:100%;background:#fff;color:#1b1f24}
input[aria-invalid=true]{border:2px solid var(--error)}
input:focus,button:focus,a:focus{outline:3px solid var(--primary);outline-offset:2px}
button,.button{font:inherit;font-weight:600;cursor:pointer;padding:.65rem 1rem;border-radius:.3rem;border:1px solid var(--primary);background:var(--primary);color:#fff;text-decoration:none;display:inline-block;text-align:center}
button.secondary,.button.secondary{background:var(--surface);color:var(--primary)}
button.danger{background:var(--error);border-color:var(--error)}
a{color:var(--primary)}
.hint{color:var(--muted);font-size:.9rem;margin:0}
.field-error{color:var(--error);font-weight:600;margin:0}
.alert{border:2px solid var(--error);border-radius:.3rem;padding:.6rem .9rem;margin:0 0 1rem}
.alert h2{border:0;margin:0 0 .3rem;padding:0;font-size:1rem;color:var(--error)}
.alert ul{margin:0;padding-left:1.2rem}
.notice{border-left:4px solid var(--primary);padding:.4rem .8rem;margin:0 0 1rem;background:var(--bg)}
.row{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center}
.providers{display:grid;gap:.6rem;margin-top:1rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;padding:.4rem .3rem;border-bottom:1px solid #d6dbe1;vertical-align:top}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);padding:.1rem .3rem;border-radius:.2rem;word-break:break-all}
.codes{columns:2;list-style:none;padding:0;font-family:ui-monospace,monospace;font-size:1.05rem}
.qr svg{width:12rem;height:12rem;background:#fff}
@media (max-width:30rem){main{margin:0;border-radius:0;box-shadow:none}header.brand{margin-top:1rem}}
</style>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="brand">{{#logo_url}}<img src="{{logo_url}}" alt="{{product_name}}">{{/logo_url}}{{^logo_url}}<span>{{product_name}}</span>{{/logo_url}}</header>
<main id="content" class="{{main_class}}" tabindex="-1">
<h1>{{title}}</h1>
{{#has_errors}}<div class="alert" role="alert" aria-labelledby="error-summary-title"><h2 id="error-summary-title">There is a problem</h2><ul>{{#errors}}<li>{{#field}}<a href="#{{field}}">{{message}}</a>{{/field}}{{^field}}{{message}}{{/field}}</li>{{/errors}}</ul></div>{{/has_errors}}
{{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
{{{body}}}
</main>
{{#scripts}}<script src="{{.}}" defer></script>{{/scripts}}
</body>
</html>
`;
