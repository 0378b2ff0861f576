/**
 * The detail of one function, opened by a click in the graph, the task stream or the failed list: its spec
 * (code, inputs, extra arguments, cost, pins, retries), every attempt (peer, link type, times, outcome, error
 * with its stack), captured output, input and output sizes, cache hit and verification. Fields the runtime does
 * not report yet say so rather than showing blanks. All text is set as text: ids, errors and output come from
 * other peers.
 */
import type { FunctionVerification } from '@handout/peer-runtime';
import { formatBytes, formatMs, h } from '../common/dom.js';
import type { RunModel } from '../run-model/run-model.js';
import { type AttemptFacts, type FunctionFacts, functionFacts, resultSize } from './function-facts.js';

export interface DetailPanel {
  /** Shows a function of `model` (or clears the panel). */
  show(model: RunModel | undefined, id: string | undefined): void;
  /** Re-reads the shown function (its attempts change while it runs). */
  refresh(): void;
  readonly shown: string | undefined;
}

export interface DetailPanelOptions {
  readonly laneName: (lane: string) => string;
  /** Called when a function named in the panel (an input) is clicked. */
  readonly onSelect: (id: string) => void;
  readonly onClose: () => void;
}

const MAX_JSON = 4000;

export function createDetailPanel(host: HTMLElement, options: DetailPanelOptions): DetailPanel {
  let model: RunModel | undefined;
  let id: string | undefined;
  let drawnVersion = -1;

  function render(): void {
    const facts = model && id ? functionFacts(model, id) : undefined;
    host.hidden = !facts;
    if (!facts || !model) {
      host.replaceChildren();
      return;
    }
    drawnVersion = model.version;
    const close = h('button', { type: 'button', class: 'close', 'aria-label': 'close the detail' }, '×');
    close.onclick = options.onClose;
    host.dataset.id = facts.spec.id;
    host.dataset.status = facts.status;
    host.replaceChildren(
      h(
        'header',
        {},
        h('h2', {}, facts.spec.id),
        h('span', { class: 'run-status', 'data-status': facts.status }, facts.status),
        h('span', { class: 'hint' }, `group ${facts.group} · layer ${facts.layer}`),
        close,
      ),
      section('Attempts', attemptsTable(facts.attempts, model.startedAt, options.laneName)),
      ...(facts.skippedBecause ? [section('Skipped', skipped(facts.skippedBecause, options.onSelect))] : []),
      section('Result', resultFacts(model, facts, options.laneName)),
      section('Inputs', inputsList(model, facts, options.onSelect)),
      section('Output', outputBlock(facts)),
      section('Spec', specBlock(facts)),
    );
  }

  return {
    show(nextModel, nextId) {
      model = nextModel;
      id = nextId;
      render();
    },
    refresh() {
      if (model && id && model.version !== drawnVersion) render();
    },
    get shown() {
      return id;
    },
  };
}

function section(title: string, body: Node): HTMLElement {
  return h('section', { 'data-section': title.toLowerCase() }, h('h3', {}, title), body);
}

function attemptsTable(attempts: readonly AttemptFacts[], t0: number, laneName: (l: string) => string): Node {
  if (attempts.length === 0) return h('p', { class: 'hint' }, 'not started yet');
  const at = (t: number | undefined): string => (t === undefined ? '—' : `+${formatMs(t - t0)}`);
  const rows = attempts.map((a) =>
    h(
      'tr',
      { 'data-attempt': a.attempt, 'data-lane': a.lane, 'data-outcome': a.outcome },
      h('td', { class: 'num' }, String(a.attempt)),
      h('td', { title: a.lane }, a.lane === '' ? 'no peer' : laneName(a.lane)),
      linkCell(a, laneName),
      h('td', { class: 'num' }, at(a.start)),
      h('td', { class: 'num' }, at(a.end)),
      h(
        'td',
        { class: 'num' },
        a.start !== undefined && a.end !== undefined ? formatMs(a.end - a.start) : '—',
      ),
      h(
        'td',
        { class: 'attempt-outcome' },
        h('span', { class: 'outcome', 'data-outcome': a.outcome }, a.outcome),
        ...(a.error
          ? [
              h(
                'div',
                { class: 'error-message' },
                `${a.error.reason ? `${a.error.reason}: ` : ''}${a.error.message}`,
              ),
              ...(a.error.stack
                ? [h('details', {}, h('summary', {}, 'stack'), h('pre', { class: 'stack' }, a.error.stack))]
                : []),
            ]
          : []),
      ),
    ),
  );
  return h(
    'table',
    { class: 'attempts' },
    h(
      'thead',
      {},
      h('tr', {}, ...['#', 'peer', 'link', 'start', 'end', 'took', 'outcome'].map((t) => h('th', {}, t))),
    ),
    h('tbody', {}, ...rows),
  );
}

/** How the coordinator reached the attempt's peer, and where its inputs came from over which links. */
function linkCell(a: AttemptFacts, laneName: (l: string) => string): Node {
  const fetched = a.fetchedFrom.map((f) =>
    h(
      'div',
      { class: 'fetched-from', 'data-peer': f.peer, 'data-link': f.link ?? 'unknown' },
      `inputs from ${laneName(f.peer)}`,
      f.link ? ` over ${f.link}` : '',
    ),
  );
  return h(
    'td',
    {
      class: 'attempt-link',
      ...(a.link && { 'data-link': a.link }),
      title: a.link
        ? 'how the coordinator reached this peer'
        : 'no link reported (a local worker, or not known)',
    },
    a.link ?? '—',
    ...fetched,
  );
}

function skipped(because: string, onSelect: (id: string) => void): Node {
  const link = h('button', { type: 'button', class: 'link' }, because);
  link.onclick = () => onSelect(because);
  return h('p', {}, 'did not run because its input ', link, ' failed');
}

function resultFacts(model: RunModel, facts: FunctionFacts, laneName: (l: string) => string): Node {
  const size = resultSize(model, facts.spec.id);
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'size'),
    h('dd', { 'data-fact': 'output-size' }, size === undefined ? '—' : formatBytes(size)),
    h('dt', {}, 'cache'),
    h('dd', { 'data-fact': 'cache' }, facts.cached ? 'hit: nothing executed' : 'miss: computed'),
    h('dt', {}, 'verification'),
    verificationFact(facts.verification, laneName),
  );
}

/** What each outcome means, in a sentence (FunctionVerification's doc in the runtime says more). */
const OUTCOME_TEXT: { readonly [K in FunctionVerification['outcome']]: string } = {
  agreed: 'agreed: a quorum gave the same result and none differed',
  disputed: 'disputed: a quorum agreed; other peers answered differently and lost trust',
  unverified: 'unverified: no quorum agreed within the replica limit, so it failed',
  'trusted-peer': 'trusted peer: ran once on a peer with a clean record (no spot check drawn)',
  cached: 'cached: a result a quorum accepted before',
};

function verificationFact(v: FunctionVerification | undefined, laneName: (l: string) => string): Node {
  if (!v)
    return h(
      'dd',
      { 'data-fact': 'verification' },
      'not verified (the run has no verify policy, or the function is verify: false or deterministic: false)',
    );
  const peers = (label: string, list: readonly string[], key: string): Node[] =>
    list.length === 0
      ? []
      : [
          h(
            'div',
            { 'data-peers': key },
            `${label}: `,
            ...list.flatMap((p, k) => [
              ...(k > 0 ? [', '] : []),
              h('span', { class: 'peer', title: p, 'data-peer': p }, laneName(p)),
            ]),
          ),
        ];
  return h(
    'dd',
    { 'data-fact': 'verification', 'data-outcome': v.outcome },
    h('div', {}, OUTCOME_TEXT[v.outcome]),
    h('div', { class: 'hint' }, `policy: ${v.quorum} of ${v.replicas} must agree`),
    ...peers(v.outcome === 'cached' ? 'held by' : 'agreed', v.agreed, 'agreed'),
    ...peers(v.outcome === 'unverified' ? 'answered' : 'disagreed', v.disagreed, 'disagreed'),
    ...(v.digest ? [h('div', { class: 'hint', title: v.digest }, `digest ${v.digest.slice(0, 12)}…`)] : []),
  );
}

function inputsList(model: RunModel, facts: FunctionFacts, onSelect: (id: string) => void): Node {
  if (facts.inputs.length === 0) return h('p', { class: 'hint' }, 'no inputs');
  return h(
    'ul',
    { class: 'inputs' },
    ...facts.inputs.map((producer) => {
      const link = h('button', { type: 'button', class: 'link' }, producer);
      link.onclick = () => onSelect(producer);
      const size = resultSize(model, producer);
      return h(
        'li',
        {},
        link,
        ` · ${model.status.get(producer) ?? '?'} · ${size === undefined ? 'size unknown' : formatBytes(size)}`,
      );
    }),
  );
}

function outputBlock(facts: FunctionFacts): Node {
  if (facts.output === undefined)
    return h(
      'p',
      { class: 'hint', 'data-fact': 'output' },
      'not captured: the runtime does not record function output yet',
    );
  if (facts.output.length === 0) return h('p', { class: 'hint', 'data-fact': 'output' }, 'printed nothing');
  return h(
    'pre',
    { class: 'captured', 'data-fact': 'output' },
    ...facts.output.map((l) => h('span', { 'data-level': l.level }, `${l.text}\n`)),
  );
}

function specBlock(facts: FunctionFacts): Node {
  const s = facts.spec;
  const code = s.code.kind === 'source' ? s.code.source : `${s.code.module} → ${s.code.export}`;
  const rows: Array<[string, string]> = [
    ['extra args', json(s.extraArgs ?? [])],
    ['cost', s.cost ? json(s.cost) : 'none given'],
    ['pins', s.node ? json(s.node) : 'any peer'],
    ['retries', String(s.retries ?? 0)],
    ['timeout', s.timeoutMs === undefined ? 'none' : formatMs(s.timeoutMs)],
    ['outputs', String(s.outputs ?? 1)],
    ['cache', s.cache === false ? 'off' : 'on'],
    ['verify', s.verify === undefined ? "the run's policy" : s.verify === false ? 'off' : json(s.verify)],
  ];
  return h(
    'div',
    {},
    h('pre', { class: 'code' }, code),
    h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  );
}

function json(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    // Specs are JSON data by contract; one that is not is shown as such rather than breaking the panel.
    text = String(value);
  }
  return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON)}… (${text.length} characters)` : text;
}
