import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '@realchat/errors';

// ajv-formats is CommonJS with a default export; NodeNext sees the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean | 'array'): Ajv {
  // removeAdditional stays off: an unknown field is an error, never silently dropped.
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
  addFormats(ajv);
  // ajv-formats' uuid also admits a `urn:uuid:` prefix, which PostgreSQL refuses: a route taking a
  // UUID would answer 500 where a 400 belongs. Canonical 8-4-4-4-12 only, as typebox checks it.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv;
}

// U+0000, or a high surrogate without its low half, or a low one without its high half (code units, no `u` flag).
// eslint-disable-next-line no-control-regex -- finding U+0000 is the point
const ILL_FORMED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** False for a string PostgreSQL cannot store (U+0000, an unpaired surrogate), for input no route schema checked (socket frames). */
export function isStorableText(value: string): boolean {
  return !ILL_FORMED.test(value);
}

/*
 * Where `value` holds a string PostgreSQL cannot store (text and jsonb refuse U+0000; UTF-8 has no
 * lone surrogate), as ajv-style errors with the JSON pointer of each. Iterative: a body may nest
 * deeper than the call stack.
 */
function illFormedStrings(value: unknown): ErrorObject[] {
  const out: ErrorObject[] = [];
  const pending: Array<[unknown, string]> = [[value, '']];
  for (let next = pending.pop(); next !== undefined && out.length < 20; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (ILL_FORMED.test(item)) out.push({ instancePath: path, schemaPath: '#', keyword: 'wellFormed', params: {}, message: 'must not contain NUL or unpaired surrogate characters' });
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        const pointer = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        pending.push([key, pointer], [child, pointer]);
      }
    }
  }
  return out;
}

/**
 * Bodies are validated without type coercion (`"5"` is not a number); query strings, params and
 * headers arrive as text and are coerced. Every string of every validated part must also be one
 * the database can store, so such input is a 400 here, before any handler spends work on it,
 * never a 500 from the driver.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const lenient = makeAjv('array');
  const cache = new WeakMap<object, ValidateFunction>();
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : lenient;
    const key = schema as object;
    let validate = httpPart === 'body' ? cache.get(key) : undefined;
    if (validate === undefined) {
      validate = ajv.compile(schema as object);
      if (httpPart === 'body') cache.set(key, validate);
    }
    const fn = validate;
    return (data: unknown) => {
      const valid = fn(data);
      const errors = [...(valid ? [] : (fn.errors ?? [])), ...illFormedStrings(data)];
      return errors.length === 0 ? { value: data } : { error: Object.assign(new Error('validation failed'), { validation: errors }) };
    };
  };
}

/** Turns ajv errors into `{ path, message }` items; `path` is a JSON pointer into the request part. */
export function fieldErrors(errors: readonly ErrorObject[], part: string): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of errors) {
    let path = e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') path = `${path}/${String((e.params as { missingProperty: string }).missingProperty)}`;
    if (e.keyword === 'additionalProperties') {
      path = `${path}/${String((e.params as { additionalProperty: string }).additionalProperty)}`;
      message = 'is not an allowed field';
    }
    const key = `${path}|${message}`;
    if (seen.has(key) || out.length >= 20) continue;
    seen.add(key);
    out.push({ path: part === 'body' ? path : `${part}${path}`, message });
  }
  return out;
}
