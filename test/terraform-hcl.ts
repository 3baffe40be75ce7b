/**
 * Reads Terraform configuration without a Terraform binary: every `.tf` file of a folder parsed by
 * `@cdktf/hcl2json` (HashiCorp's HCL parser compiled to WebAssembly), and a small evaluator for the
 * expressions the RIMS module uses (`var.`, `local.`, `each.`, resource attributes), so that tests
 * can compare what Terraform would create with what the code expects.
 *
 * The evaluator is deliberately narrow: an expression it does not know throws, naming the
 * expression, so a test never passes by skipping something it could not read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** A block as hcl2json gives it: attributes, and nested blocks as arrays of blocks. */
export type Block = Record<string, unknown>;

/** The parts of a Terraform folder the tests read. */
export interface TerraformModule {
  readonly dir: string;
  /** `TYPE.NAME` → the block. */
  readonly resources: ReadonlyMap<string, Block>;
  readonly data: ReadonlyMap<string, Block>;
  readonly variables: ReadonlyMap<string, Block>;
  readonly locals: Readonly<Record<string, unknown>>;
  readonly modules: ReadonlyMap<string, Block>;
  readonly outputs: ReadonlyMap<string, Block>;
  /** Values for the variables that have no default (or overrides), as a caller would pass them. */
  readonly inputs: Readonly<Record<string, unknown>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The single block under `name` of a parsed file (hcl2json wraps each block in an array). */
function blocksOf(section: unknown): [string, Block][] {
  if (!isRecord(section)) return [];
  return Object.entries(section).map(([name, list]) => {
    if (!Array.isArray(list) || list.length !== 1 || !isRecord(list[0]))
      throw new Error(`${name}: expected exactly one block`);
    return [name, list[0]];
  });
}

/** Parses every `.tf` file of `dir` into one module. */
export async function loadTerraform(
  dir: string,
  inputs: Record<string, unknown> = {},
): Promise<TerraformModule> {
  const resources = new Map<string, Block>();
  const data = new Map<string, Block>();
  const variables = new Map<string, Block>();
  const modules = new Map<string, Block>();
  const outputs = new Map<string, Block>();
  const locals: Record<string, unknown> = {};
  const files = readdirSync(dir).filter((file) => file.endsWith('.tf'));
  if (files.length === 0) throw new Error(`${dir} has no .tf file`);
  for (const file of files.sort()) {
    const parsed = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as Record<string, unknown>;
    for (const [kind, target] of [
      ['resource', resources],
      ['data', data],
    ] as const) {
      const section = parsed[kind];
      if (!isRecord(section)) continue;
      for (const [type, byName] of Object.entries(section)) {
        for (const [name, block] of blocksOf(byName)) {
          const key = `${type}.${name}`;
          if (target.has(key)) throw new Error(`${kind} ${key} is declared twice`);
          target.set(key, block);
        }
      }
    }
    for (const [name, block] of blocksOf(parsed.variable)) variables.set(name, block);
    for (const [name, block] of blocksOf(parsed.module)) modules.set(name, block);
    for (const [name, block] of blocksOf(parsed.output)) outputs.set(name, block);
    for (const group of (parsed.locals ?? []) as unknown[]) {
      if (!isRecord(group)) continue;
      for (const [name, value] of Object.entries(group)) {
        if (name in locals) throw new Error(`local.${name} is declared twice`);
        locals[name] = value;
      }
    }
  }
  return { dir, resources, data, variables, locals, modules, outputs, inputs };
}

/** The `each` of a `for_each` instance. */
export interface Each {
  readonly key: string;
  readonly value: unknown;
}

/** The `${...}` parts of a template, with the literal text between them. */
function splitTemplate(text: string): { literal: string; expr?: string }[] {
  const parts: { literal: string; expr?: string }[] = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf('${');
    if (start === -1) {
      parts.push({ literal: rest });
      return parts;
    }
    let depth = 0;
    let quoted = false;
    let end = -1;
    for (let i = start + 2; i < rest.length; i++) {
      const char = rest[i];
      if (quoted) {
        if (char === '\\') i++;
        else if (char === '"') quoted = false;
      } else if (char === '"') quoted = true;
      else if (char === '{') depth++;
      else if (char === '}') {
        if (depth === 0) {
          end = i;
          break;
        }
        depth--;
      }
    }
    if (end === -1) throw new Error(`unterminated \${ in ${text}`);
    parts.push({ literal: rest.slice(0, start), expr: rest.slice(start + 2, end).trim() });
    rest = rest.slice(end + 1);
  }
}

/** Follows `.name` and `["name"]` steps into a value. */
function walk(value: unknown, path: string, what: string): unknown {
  let current = value;
  for (const [, dotted, indexed] of path.matchAll(/\.(\w+)|\["([^"]+)"\]/g)) {
    const step = dotted ?? indexed ?? '';
    if (!isRecord(current) || !(step in current)) throw new Error(`${what}: no ${step}`);
    current = current[step];
  }
  return current;
}

/**
 * Evaluates a value of the module: templates are filled in, a template that is one expression gives
 * that expression's value (a number stays a number), lists and objects are evaluated throughout.
 */
export function evaluate(mod: TerraformModule, value: unknown, each?: Each): unknown {
  if (typeof value === 'string') {
    const parts = splitTemplate(value);
    const [only] = parts;
    if (parts.length === 2 && only?.literal === '' && only.expr !== undefined && parts[1]?.literal === '')
      return evaluateExpression(mod, only.expr, each);
    return parts
      .map(({ literal, expr }) =>
        expr === undefined ? literal : `${literal}${String(evaluateExpression(mod, expr, each))}`,
      )
      .join('');
  }
  if (Array.isArray(value)) return value.map((item) => evaluate(mod, item, each));
  if (isRecord(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        UNEVALUATED.has(key) ? item : evaluate(mod, item, each),
      ]),
    );
  return value;
}

/**
 * Meta-arguments left as written: `depends_on` names resources, not values; `dynamic` blocks iterate
 * with their own variable (tests read their `for_each`); `lifecycle` holds attribute names.
 */
const UNEVALUATED = new Set(['depends_on', 'dynamic', 'lifecycle']);

/** The instances of a resource: one without `for_each`, else one per key of its evaluated `for_each`. */
export function instances(mod: TerraformModule, address: string): (Each | undefined)[] {
  const block = mod.resources.get(address);
  if (!block) throw new Error(`no resource ${address}`);
  if (!('for_each' in block)) return [undefined];
  const forEach = evaluate(mod, block.for_each);
  if (Array.isArray(forEach))
    return (forEach as unknown[]).map((item) => ({ key: String(item), value: item }));
  if (isRecord(forEach)) return Object.entries(forEach).map(([key, item]) => ({ key, value: item }));
  throw new Error(`${address}: for_each is neither a map nor a set`);
}

/** One resource instance's attributes, evaluated. */
export function resourceInstance(mod: TerraformModule, address: string, key?: string): Block {
  const block = mod.resources.get(address);
  if (!block) throw new Error(`no resource ${address}`);
  const each = instances(mod, address).find((instance) => instance?.key === key);
  if (key !== undefined && each === undefined) throw new Error(`${address} has no instance ${key}`);
  return evaluate(mod, block, each) as Block;
}

/** Attributes the provider computes, for the resources whose ids the module passes around. */
function computedAttribute(
  mod: TerraformModule,
  type: string,
  read: (attribute: string) => unknown,
  attribute: string,
): unknown {
  const text = (name: string) => String(read(name));
  if (type === 'google_pubsub_topic' && attribute === 'id')
    return `projects/${text('project')}/topics/${text('name')}`;
  if (type === 'google_pubsub_subscription' && attribute === 'id')
    return `projects/${text('project')}/subscriptions/${text('name')}`;
  if (type === 'google_service_account' && attribute === 'email')
    return `${text('account_id')}@${text('project')}.iam.gserviceaccount.com`;
  throw new Error(`${mod.dir}: cannot compute ${type}.${attribute}`);
}

/** Placeholder for the project number, known only to Google. */
export const PROJECT_NUMBER = '123456789012';

/** Splits a function call's arguments at its top-level commas. */
function splitArguments(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') depth--;
    else if (char === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (text.slice(start).trim() !== '') args.push(text.slice(start).trim());
  return args;
}

/** The Terraform functions the module uses, for arguments the evaluator can read. */
const FUNCTIONS: Record<string, (args: unknown[]) => unknown> = {
  toset: ([list]) => [...new Set(list as unknown[])],
  tostring: ([value]) => String(value),
  contains: ([list, value]) => (list as unknown[]).includes(value),
  file: ([path]) => readFileSync(String(path), 'utf8'),
};

function evaluateExpression(mod: TerraformModule, expr: string, each?: Each): unknown {
  const call = /^(\w+)\((.*)\)$/s.exec(expr);
  if (call) {
    const fn = FUNCTIONS[call[1] ?? ''];
    if (!fn)
      throw new Error(`${mod.dir}: the test's evaluator does not know the function ${call[1] ?? ''}()`);
    return fn(splitArguments(call[2] ?? '').map((arg) => evaluateExpression(mod, arg, each)));
  }
  // A list literal of strings, such as the APIs of toset([...]).
  if (/^\[[\s\S]*\]$/.test(expr)) return JSON.parse(expr.replace(/,\s*\]$/, ']')) as unknown;
  if (/^"[^"]*"$/.test(expr)) return expr.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(expr)) return Number(expr);
  const product = /^(.+?)\s*\*\s*(.+)$/.exec(expr);
  if (product)
    return (
      Number(evaluateExpression(mod, product[1] ?? '', each)) *
      Number(evaluateExpression(mod, product[2] ?? '', each))
    );
  if (expr === 'path.module') return mod.dir;
  let match = /^var\.(\w+)$/.exec(expr);
  if (match) {
    const name = match[1] ?? '';
    if (name in mod.inputs) return mod.inputs[name];
    const variable = mod.variables.get(name);
    if (!variable) throw new Error(`${mod.dir}: no variable ${name}`);
    if (!('default' in variable)) throw new Error(`${mod.dir}: variable ${name} has no default and no input`);
    return variable.default;
  }
  match = /^local\.(\w+)((?:\.\w+|\["[^"]+"\])*)$/.exec(expr);
  if (match) {
    const name = match[1] ?? '';
    if (!(name in mod.locals)) throw new Error(`${mod.dir}: no local ${name}`);
    return walk(evaluate(mod, mod.locals[name]), match[2] ?? '', expr);
  }
  match = /^each\.(key|value)((?:\.\w+|\["[^"]+"\])*)$/.exec(expr);
  if (match) {
    if (!each) throw new Error(`${expr} outside for_each`);
    return match[1] === 'key' ? each.key : walk(each.value, match[2] ?? '', expr);
  }
  if (expr === 'data.google_project.this.number') return PROJECT_NUMBER;
  match = /^(google_\w+)\.(\w+)(?:\["([^"]+)"\]|\[(each\.key)\])?\.(\w+)$/.exec(expr);
  if (match) {
    const [, type = '', name = '', literalKey, eachKey, attribute = ''] = match;
    const key = eachKey ? each?.key : literalKey;
    const address = `${type}.${name}`;
    const block = mod.resources.get(address);
    if (!block) throw new Error(`${mod.dir}: no resource ${address} (in \${${expr}})`);
    const instance = instances(mod, address).find((candidate) => candidate?.key === key);
    if (key !== undefined && instance === undefined) throw new Error(`${address} has no instance ${key}`);
    const read = (name: string) => evaluate(mod, block[name], instance);
    return attribute in block ? read(attribute) : computedAttribute(mod, type, read, attribute);
  }
  throw new Error(`${mod.dir}: the test's evaluator does not know the expression \${${expr}}`);
}
