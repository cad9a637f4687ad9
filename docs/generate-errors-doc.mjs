#!/usr/bin/env node
// Regenerates the table in docs/errors.md from the compiled catalogue (run after `npm run build`):
//   node docs/generate-errors-doc.mjs
// test/errors/catalogue.test.ts fails when the two disagree.
import { writeFileSync } from 'node:fs';
import { ERROR_CATALOGUE } from '../dist/src/errors/catalogue.js';

const rows = Object.entries(ERROR_CATALOGUE).map(([code, e]) =>
  `| \`${code}\` | ${e.status} | \`${e.reason}\` | ${e.expose ? 'yes' : 'no'} | ${e.message} |`);
writeFileSync(new URL('./errors.md', import.meta.url), `# Error codes

Every error Gatehouse answers with has a stable code. Clients get JSON \`{"error": "<reason>", "code": "<code>",
"message": "..."}\` (or a small HTML page when they asked for text/html). When "message shown" is "no", the client
sees only the generic message below and the detail goes to the log. 429 and 503 answers carry \`Retry-After\`.
The codes are defined in \`src/errors/catalogue.ts\`; this table is generated from it by
\`node docs/generate-errors-doc.mjs\`, and \`test/errors/catalogue.test.ts\` keeps the two in step.

| code | status | reason (\`error\`) | message shown | generic message |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`);
console.log(`docs/errors.md: ${rows.length} codes`);
