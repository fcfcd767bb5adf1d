/**
 * `floors/import-down`: every relative import (static, `export … from`, dynamic `import()`, and
 * `import type`, which is a dependency too) points to the importer's own room or down the floors
 * of a floor plan (eslint/floor-plan.js). Options: `{ root, plan }`, root being the directory the
 * plan's globs start from.
 */
import { dirname, join, relative, sep } from 'node:path';

/** `**` spans folders, `*` stays within one name; paths have no extension. */
function globToRegExp(glob) {
  const body = glob.split('**').map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*');
  return new RegExp(`^${body}$`);
}

/** The plan as rooms with their floor number and matchers. */
function compile(plan) {
  return plan.flatMap((f, level) => f.rooms.map((r) => ({ ...r, floor: f.floor, level, patterns: r.files.map(globToRegExp) })));
}

const withoutExtension = (path) => path.replace(/\.(d\.ts|tsx?|jsx?|mjs|cjs)$/, '');

export const importFloors = {
  meta: {
    type: 'problem',
    docs: { description: 'imports point down the floors of the floor plan, never up or sideways' },
    schema: [{
      type: 'object',
      properties: { root: { type: 'string' }, plan: { type: 'array' } },
      required: ['root', 'plan'],
      additionalProperties: false,
    }],
    messages: {
      upward: '{{from}} ({{fromFloor}}) imports {{to}} ({{toFloor}}), a floor above: imports point down the floors of eslint/floor-plan.js',
      sideways: '{{from}} ({{fromRoom}}) imports {{to}} ({{toRoom}}), a room beside it on floor {{floor}}: rooms on one floor do not import each other (eslint/floor-plan.js)',
      unplaced: '{{file}} is in no room of eslint/floor-plan.js: give it one',
      ambiguous: '{{file}} is in several rooms of eslint/floor-plan.js ({{rooms}}): give it one',
    },
  },
  create(context) {
    const { root, plan } = context.options[0];
    const rooms = compile(plan);
    const pathOf = (abs) => withoutExtension(relative(root, abs).split(sep).join('/'));
    const roomsOf = (path) => rooms.filter((r) => r.patterns.some((p) => p.test(path)));
    const file = pathOf(context.filename);
    const here = roomsOf(file);
    if (here.length !== 1) {
      return {
        Program(node) {
          if (here.length === 0) context.report({ node, messageId: 'unplaced', data: { file } });
          else context.report({ node, messageId: 'ambiguous', data: { file, rooms: here.map((r) => r.room).join(', ') } });
        },
      };
    }
    const [from] = here;
    const check = (node, specifier) => {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = pathOf(join(dirname(context.filename), specifier));
      const [to] = roomsOf(target);
      // Outside the plan (package.json, a test helper): not a floor question.
      if (to === undefined || to.room === from.room) return;
      const data = { from: file, to: target, fromFloor: from.floor, toFloor: to.floor, fromRoom: from.room, toRoom: to.room, floor: from.floor };
      if (to.level > from.level) context.report({ node, messageId: 'upward', data });
      else if (to.level === from.level) context.report({ node, messageId: 'sideways', data });
    };
    const source = (node) => {
      if (node.source) check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: source,
      ExportNamedDeclaration: source,
      ExportAllDeclaration: source,
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
      // `typeof import('./x.js')` in a type.
      TSImportType(node) {
        const literal = node.argument?.literal ?? node.argument;
        if (literal?.type === 'Literal') check(node, literal.value);
      },
    };
  },
};

export default { rules: { 'import-down': importFloors } };
