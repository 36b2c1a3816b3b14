// ESLint rules on where imports may reach, checked on resolved paths:
// - `local/core-boundary`: a file in src/core or src/shared may import only src/core, src/shared,
//   Node built-ins and npm packages other than `vscode`.
// - `local/scheduler-seam`: a scheduler's own folder (src/core/scheduler/<name>/) is imported only
//   from inside that folder and by the factory that picks an implementation per host; everything
//   else uses the Scheduler interface (src/core/scheduler/types.ts). A family folder (pbsFamily/,
//   the code PBS Pro / OpenPBS and Torque share) is imported by its members' folders too.
// Relative specifiers are resolved against the importing file before checking, so
// `../../fs/hpcUri`, `../scheduler/../../fs/x` and `./../../jobs` are all caught, in every
// import form: import/export ... from, import(), import('x').T, require(), import x = require().
import { statSync } from 'node:fs';
import * as path from 'node:path';

const ALLOWED_DIRS = ['src/core', 'src/shared'];

/** Why `spec`, imported from `file`, breaks the boundary; undefined when it is fine. */
export function boundaryViolation(file, spec, cwd = process.cwd()) {
  if (spec === 'vscode' || spec.startsWith('vscode/')) return 'imports vscode';
  if (path.isAbsolute(spec) || /^[a-zA-Z]:[\\/]/.test(spec)) return 'imports by absolute path';
  if (spec.startsWith('src/') || spec.startsWith('src\\')) return 'imports by a src/ path';
  if (!spec.startsWith('.')) return undefined; // node:*, npm packages
  const target = path.relative(cwd, path.resolve(path.dirname(path.resolve(cwd, file)), spec)).split(path.sep).join('/');
  const inside = ALLOWED_DIRS.some((d) => target === d || target.startsWith(`${d}/`));
  return inside ? undefined : `reaches ${target} outside src/core and src/shared`;
}

/** The factory that constructs a scheduler for a host: the one importer of a scheduler's folder. */
export const SCHEDULER_FACTORY = 'src/core/jobs/schedulers.ts';
const IMPL = /^src\/core\/scheduler\/([^/]+)\//;
/** Scheduler folders shared by several schedulers → the folders that may import them. */
const FAMILIES = { pbsFamily: ['pbs', 'torque'] };

/** The scheduler folder `target` is in (`slurm`), or is (an `index` import of it); undefined for neutral files. */
function implOf(target, cwd) {
  const inside = IMPL.exec(target)?.[1];
  if (inside) return inside;
  const folder = /^src\/core\/scheduler\/([^/]+)$/.exec(target)?.[1];
  return folder && statSync(path.join(cwd, target), { throwIfNoEntry: false })?.isDirectory() ? folder : undefined;
}

/** Why `file` may not import `spec` (a scheduler's own folder); undefined when it may. */
export function seamViolation(file, spec, cwd = process.cwd()) {
  const target = resolveSpec(file, spec, cwd);
  const impl = target && implOf(target, cwd);
  if (!impl) return undefined;
  const from = path.relative(cwd, path.resolve(cwd, file)).split(path.sep).join('/');
  const fromImpl = IMPL.exec(from)?.[1];
  if (from === SCHEDULER_FACTORY || fromImpl === impl || (fromImpl !== undefined && FAMILIES[impl]?.includes(fromImpl))) return undefined;
  return `reaches into the ${impl} scheduler (${target})`;
}

/** The repository-relative path a specifier names (`src/…` ones as written); undefined for packages. */
function resolveSpec(file, spec, cwd) {
  if (spec.startsWith('src/')) return spec;
  if (!spec.startsWith('.')) return undefined;
  return path.relative(cwd, path.resolve(path.dirname(path.resolve(cwd, file)), spec)).split(path.sep).join('/');
}

/** A rule reporting every import, in every form, for which `why(file, spec, cwd)` gives a reason. */
function importRule(description, message, why) {
  return {
    meta: { type: 'problem', docs: { description }, schema: [], messages: { boundary: message } },
    create(context) {
      const file = context.filename ?? context.getFilename();
      const cwd = context.cwd ?? context.getCwd();
      const check = (node) => {
        if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
        const reason = why(file, node.value, cwd);
        if (reason) context.report({ node, messageId: 'boundary', data: { spec: node.value, why: reason } });
      };
      return {
        ImportDeclaration: (n) => check(n.source),
        ExportNamedDeclaration: (n) => check(n.source),
        ExportAllDeclaration: (n) => check(n.source),
        ImportExpression: (n) => {
          if (n.source.type === 'Literal') check(n.source);
          else context.report({ node: n, messageId: 'boundary', data: { spec: '<computed>', why: 'is a computed import' } });
        },
        TSImportType: (n) => check(n.argument?.type === 'TSLiteralType' ? n.argument.literal : n.argument),
        TSExternalModuleReference: (n) => check(n.expression),
        CallExpression: (n) => {
          if (n.callee.type === 'Identifier' && n.callee.name === 'require') {
            if (n.arguments[0]?.type === 'Literal') check(n.arguments[0]);
            else context.report({ node: n, messageId: 'boundary', data: { spec: '<computed>', why: 'is a computed require' } });
          }
        },
      };
    },
  };
}

export const coreBoundary = importRule(
  'src/core and src/shared never import vscode or a feature folder',
  "'{{spec}}' {{why}}: src/core is plain TypeScript; put VS Code adapters in src/<feature>/.",
  boundaryViolation,
);

export const schedulerSeam = importRule(
  "only a scheduler's own folder and the scheduler factory import that folder",
  `'{{spec}}' {{why}}: use the Scheduler interface (src/core/scheduler/types.ts) and neutral helpers beside it; only ${SCHEDULER_FACTORY} picks an implementation.`,
  seamViolation,
);
