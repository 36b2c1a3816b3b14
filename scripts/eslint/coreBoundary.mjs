// ESLint rule `local/core-boundary`: a file in src/core or src/shared may import only
// src/core, src/shared, Node built-ins and npm packages other than `vscode`.
// Relative specifiers are resolved against the importing file before checking, so
// `../../fs/hpcUri`, `../scheduler/../../fs/x` and `./../../jobs` are all caught, in every
// import form: import/export ... from, import(), import('x').T, require(), import x = require().
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

export const coreBoundary = {
  meta: {
    type: 'problem',
    docs: { description: 'src/core and src/shared never import vscode or a feature folder' },
    schema: [],
    messages: { boundary: "'{{spec}}' {{why}}: src/core is plain TypeScript; put VS Code adapters in src/<feature>/." },
  },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const cwd = context.cwd ?? context.getCwd();
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const why = boundaryViolation(file, node.value, cwd);
      if (why) context.report({ node, messageId: 'boundary', data: { spec: node.value, why } });
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
