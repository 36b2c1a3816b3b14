/**
 * "New Job…" form: fills a JSON job description field by field. Every change is validated by the
 * extension host (the same rules as `*.job.json` files) and errors show under their fields.
 * Save writes `<name>.job.json` into the chosen folder on the cluster; Save & Submit also submits.
 * The form survives a reload of the hidden webview (getState/setState).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-form-group/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '../shared/common.css';
import './style.css';
import type { DefaultFormField, DefaultSources, NewJobFieldError, NewJobForm, SchedulerWords } from '../../src/shared/protocol';
import { debounce, h, icon } from '../shared/dom';
import { RpcError, WebviewRpc } from '../shared/rpc';
import { getState, setState } from '../shared/vscode';

type FieldKey = Exclude<keyof NewJobForm, 'mode'>;

interface ValueElement extends HTMLElement {
  value: string;
  invalid?: boolean;
}

interface State {
  form: NewJobForm;
  hosts: string[];
}

const rpc = new WebviewRpc('newJob');
let form: NewJobForm | undefined;
let hosts: string[] = [];
let busy = false;
/** Whether the extension's first `init` has filled the form (until then nothing can be edited). */
let ready = false;
/** Defaults last filled in from the host, to know whether the user changed them. */
let hostFilled: Partial<Record<FieldKey, string>> = {};
/** Where the host's defaults came from (local settings or the cluster's file). */
let sources: DefaultSources = {};

// ---------------------------------------------------------------- building the form

const inputs = new Map<FieldKey, ValueElement>();
const errorEls = new Map<FieldKey | '', HTMLElement>();
/** Beside a prefilled field's label: "from the cluster" or "local setting". */
const sourceEls = new Map<FieldKey, HTMLElement>();
const DEFAULT_FIELDS: readonly DefaultFormField[] = ['partition', 'account', 'walltime', 'mailUser', 'mailType'];

function sourceSlot(key: FieldKey): HTMLElement | undefined {
  if (!(DEFAULT_FIELDS as readonly string[]).includes(key)) return undefined;
  const el = h('span', { class: 'source', 'data-source-for': key, hidden: true });
  sourceEls.set(key, el);
  return el;
}

/** Marks each field the host's defaults filled (and the user has not changed since) with where its value came from. */
function showSources(): void {
  for (const [key, el] of sourceEls) {
    const from = sources[key as DefaultFormField];
    const filled = from !== undefined && form !== undefined && hostFilled[key] !== undefined && hostFilled[key] === form[key];
    el.hidden = !filled;
    el.dataset.source = filled ? from : '';
    if (!filled) continue;
    el.replaceChildren(icon(from === 'cluster' ? 'cloud' : 'settings-gear'), from === 'cluster' ? ' from the cluster' : ' local setting');
    el.title =
      from === 'cluster'
        ? `From ~/.config/remote-hpc/settings.json on ${form?.host ?? 'the host'} (a local setting would win)`
        : 'From remoteHpc.jobs.defaults in your settings (it wins over the cluster\'s file)';
  }
}

function errorSlot(key: FieldKey | ''): HTMLElement {
  const el = h('div', { class: 'field-error', role: 'alert', 'data-error-for': key || 'form', hidden: true });
  errorEls.set(key, el);
  return el;
}

interface FieldOpts {
  placeholder?: string;
  help?: string;
  multiline?: number;
  wide?: boolean;
  required?: boolean;
  /** Shown right of the input (e.g. a Browse button). */
  after?: HTMLElement;
}

function field(key: FieldKey, label: string, o: FieldOpts = {}): HTMLElement {
  const id = `f-${key}`;
  const input = h(o.multiline ? 'vscode-textarea' : 'vscode-textfield', {
    id,
    name: key,
    placeholder: o.placeholder,
    rows: o.multiline,
    'data-field': key,
    'aria-describedby': `${id}-help`,
  }) as ValueElement;
  inputs.set(key, input);
  input.addEventListener('input', () => onEdit(key, input.value));
  const group = h(
    'vscode-form-group',
    { variant: 'vertical', class: o.wide ? 'wide' : undefined },
    h('div', { class: 'label-row' }, h('vscode-label', { for: id, required: o.required }, label), sourceSlot(key)),
    o.after ? h('div', { class: 'row' }, input, o.after) : input,
    o.help ? h('vscode-form-helper', { id: `${id}-help` }, o.help) : undefined,
    errorSlot(key),
  );
  return group;
}

const hostSelect = h('vscode-single-select', { id: 'f-host', name: 'host', 'data-field': 'host' }) as ValueElement;
inputs.set('host', hostSelect);
hostSelect.addEventListener('change', () => void onHostChange(hostSelect.value));

const browse = h('vscode-toolbar-button', { icon: 'folder-opened', label: 'Browse', title: 'Choose a folder on the cluster' });
browse.addEventListener('click', () => void pickFolder());

const modeGroup = h(
  'vscode-radio-group',
  { id: 'f-mode', 'aria-label': 'What to run' },
  h('vscode-radio', { name: 'mode', value: 'command', label: 'Command', checked: true }, 'Command'),
  h('vscode-radio', { name: 'mode', value: 'script', label: 'Script on the cluster' }, 'Script on the cluster'),
);
modeGroup.addEventListener('change', () => {
  const radios = [...modeGroup.querySelectorAll<HTMLElement & { checked: boolean; value: string }>('vscode-radio')];
  if (!form) return;
  form.mode = radios.find((r) => r.checked)?.value === 'script' ? 'script' : 'command';
  showMode();
  changed();
});

const folderField = field('folder', 'Folder on the cluster', {
  help: 'The job file is saved here as <name>.job.json; the job runs here unless a work directory is given.',
  required: true,
  after: browse,
});

const commandBox = field('command', 'Command', { multiline: 4, wide: true, placeholder: 'python train.py --epochs 10', help: 'Run by bash as written (several lines are fine).' });
const scriptBox = h('div', { class: 'grid' }, field('script', 'Script', { placeholder: 'run.sh', help: 'Relative to the work directory, or absolute.' }), field('args', 'Arguments', { placeholder: '--lr 0.1 "a b"' }));

/** The cluster's partitions (sinfo) under the field: one click fills it in. */
const partitionChoices = h('div', { class: 'choices', 'data-testid': 'partitions', hidden: true });
const partitionField = field('partition', 'Partition', { placeholder: 'cluster default' });
partitionField.insertBefore(partitionChoices, partitionField.querySelector('[data-error-for]'));

const extraField = field('extraSbatchArgs', 'Extra sbatch options', { wide: true, placeholder: '--qos=debug --mail-type=END' });
let queueWord = 'Partition';

/** The host's scheduler's words: `Partition` / `Queue`, `Extra sbatch options` / `Extra qsub options`. */
function showWords(w: SchedulerWords): void {
  queueWord = w.queue;
  const label = (group: HTMLElement, text: string) => {
    const el = group.querySelector('vscode-label');
    if (el) el.textContent = text;
  };
  label(partitionField, w.queue);
  label(extraField, `Extra ${w.program} options`);
  inputs.get('extraSbatchArgs')?.setAttribute('placeholder', w.example);
}

function showPartitions(list: string[]): void {
  partitionChoices.replaceChildren(
    ...list.map((name) => {
      const chip = h('button', { type: 'button', class: 'chip', title: `${queueWord} ${name}` }, name);
      chip.addEventListener('click', () => {
        const input = inputs.get('partition');
        if (input) input.value = name;
        onEdit('partition', name);
      });
      return chip;
    }),
  );
  partitionChoices.hidden = list.length === 0;
}

const status = h('span', { class: 'status', 'data-testid': 'status', role: 'status' });
const spinner = h('vscode-progress-ring', { class: 'spinner', hidden: true });
const previewBtn = h('vscode-button', { secondary: true, icon: 'open-preview', 'data-action': 'preview' }, 'Preview Script');
const saveBtn = h('vscode-button', { secondary: true, icon: 'save', 'data-action': 'save' }, 'Save');
const submitBtn = h('vscode-button', { icon: 'rocket', 'data-action': 'submit' }, 'Save & Submit');
previewBtn.addEventListener('click', () => void run('preview'));
saveBtn.addEventListener('click', () => void run('save'));
submitBtn.addEventListener('click', () => void run('submit'));

const toolbar = h('div', { class: 'toolbar', role: 'toolbar' }, h('span', { class: 'title' }, icon('rocket'), ' New Job'), status, spinner, h('span', { class: 'spacer' }), previewBtn, saveBtn, submitBtn);

function section(title: string, open: boolean, ...children: HTMLElement[]): HTMLElement {
  return h('vscode-collapsible', { heading: title, open }, h('div', { class: 'section' }, ...children));
}

const body = h(
  'form',
  { class: 'body', novalidate: true },
  errorSlot(''),
  section(
    'Where',
    true,
    h(
      'div',
      { class: 'grid' },
      h('vscode-form-group', { variant: 'vertical' }, h('vscode-label', { for: 'f-host', required: true }, 'Host'), hostSelect, errorSlot('host')),
      field('name', 'Name', { placeholder: 'my-job', required: true, help: 'Job name and file name: letters, digits, . _ + -' }),
    ),
    folderField,
  ),
  section('What to run', true, modeGroup, commandBox, scriptBox, field('workdir', 'Work directory', { placeholder: '(the folder above)', help: 'Absolute, ~/…, or relative to the home directory.' })),
  section(
    'Resources',
    true,
    h(
      'div',
      { class: 'grid' },
      partitionField,
      field('account', 'Account', { placeholder: 'default account' }),
      field('walltime', 'Time limit', { placeholder: '1:00:00', help: 'Minutes, HH:MM:SS or D-HH:MM:SS' }),
      field('nodes', 'Nodes', { placeholder: '1' }),
      field('tasks', 'Tasks', { placeholder: '1' }),
      field('cpusPerTask', 'CPUs per task', { placeholder: '1' }),
      field('memory', 'Memory', { placeholder: '4G', help: 'Per node: 500M, 4G, or megabytes' }),
      field('gpus', 'GPUs', { placeholder: '0', help: 'A count, or type:count' }),
    ),
  ),
  section(
    'Arrays, tags and scheduling',
    false,
    h(
      'div',
      { class: 'grid' },
      field('array', 'Array', { placeholder: '0-9%2', help: 'Task ids; each task sees $SLURM_ARRAY_TASK_ID' }),
      field('repeat', 'Repeat', { placeholder: '', help: 'Run N copies (an array 0..N-1)' }),
      field('tags', 'Tags', { placeholder: 'exp1, baseline', help: 'Shown and filterable in the Jobs view' }),
      field('nice', 'Nice', { placeholder: '0', help: 'Positive lowers the priority' }),
      field('dependency', 'Dependency', { placeholder: 'afterok:12345' }),
      field('mailType', 'Mail on', { placeholder: 'end, fail', help: 'begin, end, fail: when the scheduler mails' }),
      field('mailUser', 'Mail to', { placeholder: '(you)', help: 'Empty: the scheduler\'s default' }),
    ),
  ),
  section(
    'Files',
    false,
    field('inputs', 'Inputs', { multiline: 3, wide: true, placeholder: 'data/input.csv', help: 'One path on the cluster per line (relative to the folder), copied into the work directory before submitting.' }),
    field('outputs', 'Outputs', { multiline: 3, wide: true, placeholder: 'results/*.csv', help: 'Files or globs in the work directory, fetched by "Fetch Outputs".' }),
  ),
  section(
    'Advanced',
    false,
    field('env', 'Environment', { multiline: 3, wide: true, placeholder: 'OMP_NUM_THREADS=4', help: 'NAME=value, one per line' }),
    extraField,
  ),
);
body.addEventListener('submit', (e) => e.preventDefault());

document.getElementById('app')?.append(toolbar, body);

/**
 * Until the extension's first `init`, nothing can be typed or clicked: `init` fills every field,
 * so what was typed before it (a busy extension host can take seconds) would be lost.
 */
function setReady(on: boolean): void {
  ready = on;
  const controls: (HTMLElement & { disabled?: boolean })[] = [...inputs.values(), ...modeGroup.querySelectorAll<HTMLElement>('vscode-radio')];
  for (const c of controls) c.disabled = !on;
  body.setAttribute('aria-busy', String(!on));
  setBusy(!on);
}
setReady(false);

// ---------------------------------------------------------------- state ↔ form

function fillForm(f: NewJobForm): void {
  form = { ...f };
  setHosts(hosts);
  for (const [key, el] of inputs) if (key !== 'host') el.value = f[key];
  for (const r of modeGroup.querySelectorAll<HTMLElement & { checked: boolean; value: string }>('vscode-radio')) r.checked = r.value === f.mode;
  showMode();
  save();
}

function setHosts(list: string[]): void {
  hosts = list;
  const current = form?.host ?? '';
  const names = current && !list.includes(current) ? [...list, current] : list;
  hostSelect.replaceChildren(...names.map((n) => h('vscode-option', { value: n, description: list.includes(n) ? undefined : 'not connected' }, n)));
  if (names.length === 0) hostSelect.replaceChildren(h('vscode-option', { value: '', disabled: true }, 'No host connected'));
  hostSelect.value = current;
}

function showMode(): void {
  const script = form?.mode === 'script';
  commandBox.hidden = script;
  scriptBox.hidden = !script;
}

function save(): void {
  if (form) setState<State>({ form, hosts });
}

function onEdit(key: FieldKey, value: string): void {
  if (!form) return;
  form[key] = value;
  delete hostFilled[key];
  showSources();
  changed();
}

const validateSoon = debounce(300, () => void validate());

function changed(): void {
  save();
  validateSoon();
}

async function validate(): Promise<void> {
  if (!form) return;
  try {
    const { errors } = await rpc.request('validate', { form });
    showErrors(errors, false);
  } catch (e) {
    showStatus('error', (e as Error).message);
  }
}

/** Marks fields; `all` shows every error (after a Save), otherwise only those of fields with text. */
function showErrors(errors: NewJobFieldError[], all: boolean): void {
  const byField = new Map<string, string>();
  for (const e of errors) if (!byField.has(e.field)) byField.set(e.field, e.message);
  for (const [key, el] of errorEls) {
    const msg = byField.get(key);
    const touched = all || key === '' || (key !== 'host' && form !== undefined && form[key as FieldKey] !== '');
    const show = msg !== undefined && touched;
    el.hidden = !show;
    el.replaceChildren(...(show ? [icon('error'), ` ${msg}`] : []));
    const input = key ? inputs.get(key as FieldKey) : undefined;
    if (input) {
      input.invalid = show;
      if (show) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }
}

function showStatus(kind: 'info' | 'success' | 'error', message: string): void {
  status.replaceChildren(icon(kind === 'error' ? 'error' : kind === 'success' ? 'pass' : 'info'), ` ${message}`);
  status.className = `status ${kind}`;
  status.title = message;
}

function setBusy(b: boolean): void {
  busy = b;
  spinner.hidden = !b;
  for (const btn of [previewBtn, saveBtn, submitBtn]) (btn as HTMLElement & { disabled: boolean }).disabled = b;
}

async function onHostChange(host: string): Promise<void> {
  if (!form || host === form.host) return;
  form.host = host;
  changed();
  if (!host) return;
  try {
    const info = await rpc.request('hostInfo', { host });
    const fill = (key: FieldKey, value: string) => {
      if (!form) return;
      // Replace only what the previous host filled in (or what is empty).
      if (form[key] === '' || hostFilled[key] === form[key]) {
        form[key] = value;
        const el = inputs.get(key);
        if (el) el.value = value;
        hostFilled[key] = value;
      }
    };
    fill('folder', info.folder);
    fill('partition', info.partition);
    fill('account', info.account);
    fill('walltime', info.walltime);
    fill('mailUser', info.mailUser);
    fill('mailType', info.mailType);
    sources = info.sources;
    showSources();
    showWords(info.words);
    showPartitions(info.partitions);
    changed();
  } catch (e) {
    showStatus('error', (e as Error).message);
  }
}

async function pickFolder(): Promise<void> {
  if (!form?.host) {
    showStatus('error', 'Choose a host first');
    return;
  }
  const { folder } = await rpc.request('pickFolder', { host: form.host, current: form.folder });
  if (folder !== null && form) {
    form.folder = folder;
    const el = inputs.get('folder');
    if (el) el.value = folder;
    changed();
  }
}

async function run(action: 'preview' | 'save' | 'submit'): Promise<void> {
  if (!form || busy) return;
  setBusy(true);
  showStatus('info', action === 'preview' ? 'Rendering…' : action === 'save' ? 'Saving…' : 'Saving and submitting…');
  try {
    const res = action === 'preview' ? await rpc.request('preview', { form }) : await rpc.request('save', { form, submit: action === 'submit' });
    showErrors(res.errors, true);
    if (res.errors.length) {
      showStatus('error', `${res.errors.length} problem${res.errors.length === 1 ? '' : 's'} to fix`);
      const first = res.errors[0]?.field;
      const el = first ? inputs.get(first as FieldKey) : undefined;
      el?.closest('vscode-collapsible')?.setAttribute('open', '');
      el?.focus();
    } else if (action === 'preview') showStatus('info', 'Batch script opened beside the form');
    else if ('jobId' in res && res.jobId) showStatus('success', `Submitted job ${res.jobId}`);
    else if ('path' in res && res.path) showStatus('success', `Saved ${res.path}`);
    else showStatus('info', 'Cancelled');
  } catch (e) {
    if (!(e instanceof RpcError && e.cancelled)) showStatus('error', (e as Error).message);
    else showStatus('info', 'Cancelled');
  } finally {
    setBusy(false);
  }
}

// ---------------------------------------------------------------- protocol

rpc.on('init', (msg) => {
  if (!ready) setReady(true);
  hosts = msg.hosts;
  const kept = getState<State>();
  hostFilled = {};
  // A reload of the same form keeps what was typed; a new init (another preset) replaces it.
  const f = kept && kept.form.host === msg.form.host && kept.form.folder === msg.form.folder ? kept.form : msg.form;
  if (f === msg.form) {
    for (const k of ['partition', 'account', 'walltime', 'folder', 'mailUser', 'mailType'] as const) if (msg.form[k]) hostFilled[k] = msg.form[k];
  }
  fillForm(f);
  sources = msg.sources;
  showSources();
  showWords(msg.words);
  showPartitions(msg.partitions);
  void validate();
});

rpc.on('hosts', (msg) => {
  setHosts(msg.hosts);
  if (msg.partitions) showPartitions(msg.partitions);
  save();
});

rpc.on('status', (msg) => showStatus(msg.kind, msg.message));

document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
    e.preventDefault();
    void run('submit');
  } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
    e.preventDefault();
    void run('save');
  }
});

rpc.start();
