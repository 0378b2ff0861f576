/**
 * Renders docs/cli.md from the command table (cli.ts) and the settings table (settings.ts), so the reference
 * cannot drift from the code. Regenerate with:
 *   node --conditions=source --import tsx cli/src/docs.ts --write
 * A test fails when docs/cli.md differs from this output (after Biome's formatting, which `pnpm lint` enforces).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from './cli.js';
import { EXIT } from './errors.js';
import { CONFIG_FILE, SETTING_NAMES, SETTINGS } from './settings.js';

export const CLI_DOCS_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../docs/cli.md');

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * docs/cli.md from the command table and the settings. Long because most of it is the page's own prose, kept in
 * the order the page reads; only the tables are computed.
 */
export function renderCliDocs(): string {
  const out: string[] = [];
  out.push(
    '# The `handout` CLI',
    '',
    '<!-- Generated from cli/src/settings.ts and the command table by cli/src/docs.ts; do not edit by hand.',
    '     Regenerate: node --conditions=source --import tsx cli/src/docs.ts --write -->',
    '',
    'Install it with `npm install handout` (or run it once with `npx handout ...`); in this workspace run it as',
    '`pnpm handout <command> ...` (the sources under tsx). The installed package also holds this page',
    '(`docs/cli.md`) and the demo pages that `handout signal --demo` serves.',
    '',
    '```',
    'handout run examples/hello.dag.mjs',
    'handout run examples/pipeline.json --json',
    'handout validate my-dag.mjs',
    '```',
    '',
    '## Commands',
    '',
  );
  for (const c of COMMANDS) {
    out.push(`### \`handout ${c.name}\``, '', '```', c.synopsis, '```', '', c.description, '');
  }
  out.push(
    'An unknown command prints the usage on stderr and exits 2. `handout --help` and `handout <command> --help`',
    'print help and exit 0; `handout --version` (or `-v`) prints the version of the `handout` package.',
    '',
    'A first mesh on one machine: `handout signal` prints a members token and a coordinator token; then',
    '`HANDOUT_TOKEN=<coordinator token> handout peer --coordinator --signal <url>` once, `HANDOUT_TOKEN=<members',
    'token> handout peer --signal <url>` in one or more terminals, and `handout run <file> --signal <url> --token',
    '<members token>`.',
    '',
    '## DAG files',
    '',
    '`run` and `validate` accept any of these; the kind is found from the extension, then from the content:',
    '',
    '| kind | recognised by | notes |',
    '|---|---|---|',
    '| ES module | `.js` `.mjs` `.cjs` `.ts` `.mts` `.cts` | the default export is a `Dag`, a `dag()` builder, Handout JSON, or a plain array of function specs whose `code` may be a real function (no imports needed: the specs go through the builder, which turns each function into source and checks that it can travel). TypeScript files are compiled on load by tsx (esbuild: types are stripped, not checked), in the installed CLI as in the workspace. |',
    '| Handout JSON | an object with `"format": "handout-dag"` | `{ "format": "handout-dag", "version": 1, "functions": [ { "id", "args", "code": { "kind": "source", "source" }, ... } ] }` (see examples/pipeline.json) |',
    '| WfFormat JSON | `schemaVersion` or `workflow.specification` | WfCommons workflow instances; each task becomes synthetic CPU work proportional to its recorded runtime (`--scale`) |',
    '| STG | `.stg`, or text whose first line is a task count | Standard Task Graph Set; processing times become synthetic CPU work (`--scale`) |',
    '',
    'A file that cannot be read, parsed or converted exits 2 with one line naming the file and, when known, the',
    'line and column, the function id (or its index in the array) and the field. A syntax error in a module is',
    'reported with its line and column (`bad.mjs: cannot load the module: SyntaxError: Unexpected identifier',
    "'code' (line 3, column 13)`); one in a module that the DAG file imports is reported without them.",
    '',
    '## Settings',
    '',
    `Each setting is resolved in this order: the flag, then the environment variable, then the key in the config`,
    `file, then the default. The config file is \`${CONFIG_FILE.flag} <path>\` if given, else \`${CONFIG_FILE.env}\`,`,
    `else \`./${CONFIG_FILE.defaultName}\` when it exists; it holds one JSON object of config keys (an unknown key`,
    'exits 2, naming it). `handout config` shows each value and where it came from.',
    '',
    '| setting | flag | environment variable | config key | default | commands | meaning |',
    '|---|---|---|---|---|---|---|',
  );
  for (const name of SETTING_NAMES) {
    const d = SETTINGS[name];
    const flag = d.kind === 'boolean' ? d.flag : `${d.flag} <value>`;
    const meaning = d.planned ? `**Not available yet** (${d.planned}). ${d.meaning}` : d.meaning;
    out.push(
      `| ${name} | \`${flag}\` | \`${d.env}\` | \`${d.configKey}\` | ${cell(d.defaultText)} | ${d.commands.join(', ')} | ${cell(meaning)} |`,
    );
  }
  out.push(
    `| (config file) | \`${CONFIG_FILE.flag} <path>\` | \`${CONFIG_FILE.env}\` | — | \`./${CONFIG_FILE.defaultName}\` if present | all | Where the config file is. |`,
    '',
    'Boolean settings accept `true/false`, `1/0`, `yes/no`, `on/off` from the environment and `--json=false` on the',
    'command line. An invalid value exits 2, naming the flag, variable or config key it came from.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    `| ${EXIT.ok} | success: every function succeeded, or \`validate\` found no problem |`,
    `| ${EXIT.functionFailed} | a function failed after its retries: stderr names it, with its error and every attempt; functions downstream are skipped |`,
    `| ${EXIT.badInput} | invalid DAG or bad input (unknown command or flag, bad value, unreadable, unparsable or unrecognised file): one line on stderr names the culprit |`,
    `| ${EXIT.interrupted} | interrupted by Ctrl-C: the run was cancelled and reported itself cancelled (a second Ctrl-C quits at once) |`,
    '',
    '## Output of `handout run`',
    '',
    'Progress goes to stderr (`--progress`): on a terminal a bar redrawn at most every 100 ms with the counts of',
    'succeeded, failed, skipped and running functions; otherwise one line per finished function',
    '(`succeeded <id> <time> <worker>`, `failed <id> attempt <n> on <worker>: <error>`, `skipped <id> (input <x> failed)`).',
    '',
    'Without `--json`, stdout gets a summary: the status, the counts, the wall time, and the result of each final',
    'function (one nothing else depends on), truncated to 200 characters; at most 20 are listed.',
    '',
    '### JSON output',
    '',
    'With `--json`, stdout gets exactly one JSON document:',
    '',
    '```json',
    '{',
    '  "status": "succeeded",',
    '  "results": { "sum": 30 },',
    '  "functions": [',
    '    { "id": "sum", "status": "succeeded", "attempts": 1, "peer": "local:0",',
    '      "startedAt": 1700000000000, "endedAt": 1700000000012, "error": null, "verification": null }',
    '  ]',
    '}',
    '```',
    '',
    '- `status`: `succeeded`, `failed` or `cancelled`.',
    '- `results`: the value of every function that succeeded, by id (the array of its outputs for `outputs: n`).',
    '- `functions`: one record per function in DAG order, with exactly these keys: `status` (`succeeded`, `failed`,',
    '  `skipped`, `cancelled`, ...), `attempts`, `peer` (where it ran: `local:N` for a local worker), `startedAt` and',
    "  `endedAt` (epoch milliseconds), `error` (the function's error message, `\"skipped because its input 'x' failed\"`,",
    '  or `"cancelled"`), `verification` (mesh runs with `--verify`: `{ "outcome", "replicas", "quorum", "agreed",',
    '  "disagreed", "digest" }`, where `outcome` is `agreed`, `disputed` (peers in `disagreed` lost to the quorum),',
    '  `unverified` (no quorum: the function failed), `trusted-peer` (a peer with a clean record, not spot-checked) or',
    '  `cached` (a result a quorum accepted earlier), `agreed` names the peers whose results matched and `digest` is',
    "  the accepted result's hex SHA-256). A value that is absent is `null`.",
    '- `peers` (mesh runs, when the links are known): by peer id, `link` (how the coordinator reached it) and `links`',
    '  (how it reached each peer it fetched inputs from): `host/udp` (direct), `prflx/udp` or `srflx/udp` (through a',
    '  NAT), `relay/udp` (through a TURN server), `relay/udp via tcp` (TURN over TCP). See docs/deploy.md.',
    '',
    'Results are converted to plain JSON: a bigint becomes its decimal string; typed arrays become arrays of numbers',
    '(64-bit ones arrays of decimal strings); ArrayBuffer and DataView become arrays of bytes; a Map becomes an object',
    'when its keys are strings or numbers, else an array of `[key, value]` pairs; a Set becomes an array; a Date its',
    'ISO string; an Error `{ "name", "message" }`; `undefined`, functions, symbols, `NaN` and `±Infinity` become',
    '`null`; a cycle becomes `"[Circular]"`.',
    '',
  );
  return out.join('\n');
}

/**
 * The rendering as the repository keeps it: formatted by Biome (which formats Markdown tables and code blocks),
 * so that `pnpm lint` and the docs test agree.
 */
export function formattedCliDocs(): string {
  const root = join(dirname(CLI_DOCS_PATH), '..');
  const r = spawnSync(join(root, 'node_modules/.bin/biome'), ['format', '--stdin-file-path=docs/cli.md'], {
    cwd: root,
    input: renderCliDocs(),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`biome format failed: ${r.stderr}`);
  return r.stdout;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain && process.argv.includes('--write')) {
  writeFileSync(CLI_DOCS_PATH, formattedCliDocs());
  console.log(`wrote ${CLI_DOCS_PATH}`);
}
