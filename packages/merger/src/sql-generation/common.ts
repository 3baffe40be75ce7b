/**
 * What the per-dialect SQL generators share: the checks @rims/schemas' zod catalogue implies, as SQL
 * conditions with the issue each one reports, and the literals of a dialect.
 */
import { z } from 'zod';
import {
  RIMS_EVENT_TYPES,
  ITEM_EVENT_TYPES,
  STATUS_FROM_DATA,
  envelopeSchemaFor,
  eventCatalog,
  rawItemEventsColumns,
  requiredWhenOf,
  type BigQueryColumn,
  type ItemEventType,
  type SubjectRule,
} from '@rims/schemas';
import type { Dialect } from '../dialect.js';

/** The first line of every generated file. */
export const HEADER =
  '-- Generated from @rims/schemas by `pnpm generate` (packages/merger/src/sql-generation). Do not edit.';

interface JsonSchemaProperty {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

interface ObjectSchema {
  properties: Record<string, JsonSchemaProperty & ObjectSchema>;
  required?: string[];
}

/** A SQL string literal in the dialect. */
export function sqlString(text: string, dialect: Dialect): string {
  return dialect === 'bigquery'
    ? `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
    : `'${text.replace(/'/g, "''")}'`;
}

/** A regular expression literal for REGEXP_CONTAINS (BigQuery) or regexp_full_match (DuckDB); both are RE2. */
function regexLiteral(pattern: string, dialect: Dialect): string {
  if (dialect === 'duckdb') return `'${pattern.replace(/'/g, "''")}'`;
  if (pattern.includes("'")) throw new Error(`pattern ${pattern} contains a quote; extend regexLiteral`);
  return `r'${pattern}'`;
}

interface Check {
  /** The SQL condition that is true when the value is invalid. */
  readonly when: string;
  /** `path: message` as @rims/schemas would name it. */
  readonly issue: string;
  /** A missing value or a wrong literal: zod then skips the subject/item refinement. */
  readonly aborts: boolean;
}

export const PARAM = (name: string) => `e_${name}`;

/** The checks of one JSON-Schema property, for a value expression `value` at `path`. */
function propertyChecks(
  property: JsonSchemaProperty,
  value: string,
  path: string,
  required: boolean,
  dialect: Dialect,
): Check[] {
  const checks: Check[] = [];
  if (required) checks.push({ when: `${value} IS NULL`, issue: `${path}: is required`, aborts: true });
  if (typeof property.const === 'string') {
    const literal = sqlString(property.const, dialect);
    checks.push({
      when: `${value} <> ${literal}`,
      issue: `${path}: must be ${property.const}`,
      aborts: true,
    });
  }
  if (property.enum?.every((value) => typeof value === 'string') === true) {
    const literals = property.enum.map((value) => sqlString(value, dialect));
    checks.push({
      when: `${value} NOT IN (${literals.join(', ')})`,
      issue: `${path}: must be one of ${property.enum.join(', ')}`,
      aborts: true,
    });
  }
  if (property.type === 'string') {
    if (property.minLength !== undefined) {
      checks.push({
        when: `LENGTH(${value}) < ${String(property.minLength)}`,
        issue:
          property.minLength === 1
            ? `${path}: must not be empty`
            : `${path}: must be at least ${String(property.minLength)} characters`,
        aborts: false,
      });
    }
    if (property.maxLength !== undefined) {
      checks.push({
        when: `LENGTH(${value}) > ${String(property.maxLength)}`,
        issue: `${path}: must be at most ${String(property.maxLength)} characters`,
        aborts: false,
      });
    }
    if (property.pattern !== undefined) {
      const regex = regexLiteral(property.pattern, dialect);
      const matches =
        dialect === 'bigquery' ? `REGEXP_CONTAINS(${value}, ${regex})` : `regexp_matches(${value}, ${regex})`;
      checks.push({
        when: `NOT ${matches}`,
        issue:
          property.format === 'date-time'
            ? `${path}: must be an RFC 3339 date-time with a time zone`
            : `${path}: has an invalid format`,
        aborts: false,
      });
    }
  }
  if (property.type === 'integer') {
    if (property.minimum !== undefined) {
      checks.push({
        when: `${value} < ${String(property.minimum)}`,
        issue: `${path}: must be at least ${String(property.minimum)}`,
        aborts: false,
      });
    }
    if (property.maximum !== undefined) {
      checks.push({
        when: `${value} > ${String(property.maximum)}`,
        issue: `${path}: must be at most ${String(property.maximum)}`,
        aborts: false,
      });
    }
  }
  return checks;
}

/** Every check of the envelope and of each type's data, as @rims/schemas' loose consumer schemas define them. */
function catalogueChecks(dialect: Dialect): Check[] {
  const checks: Check[] = [];
  const [firstType] = RIMS_EVENT_TYPES;
  if (firstType === undefined) throw new Error('the event catalogue is empty');
  const envelope = z.toJSONSchema(envelopeSchemaFor(firstType, 'loose')) as ObjectSchema;
  const required = new Set(envelope.required ?? []);
  for (const [name, property] of Object.entries(envelope.properties)) {
    // `type` is checked before everything else (an unknown type is the only issue reported);
    // `data` depends on the type.
    if (name === 'type' || name === 'data') continue;
    checks.push(...propertyChecks(property, PARAM(name), name, required.has(name), dialect));
    if (property.format === 'date-time') {
      // The one rule the warehouse adds to @rims/schemas: the time must fit a TIMESTAMP.
      const format = propertyChecks(
        { pattern: property.pattern, type: 'string' },
        PARAM(name),
        name,
        false,
        dialect,
      );
      const formatOk = format.map((check) => `NOT (${check.when})`).join(' AND ') || 'TRUE';
      checks.push({
        when: `${PARAM(name)} IS NOT NULL AND ${formatOk} AND NOT COALESCE({{core}}.item_event_time(${PARAM(name)}) BETWEEN TIMESTAMP '0001-01-01 00:00:00+00' AND TIMESTAMP '9999-12-31 23:59:59.999999+00', FALSE)`,
        issue: `${name}: must be between 0001-01-01 and 9999-12-31 UTC`,
        aborts: false,
      });
    }
  }
  checks.push({ when: `${PARAM('data')} IS NULL`, issue: 'data: is required', aborts: true });
  for (const type of RIMS_EVENT_TYPES) {
    const data = z.toJSONSchema(eventCatalog[type].loose) as ObjectSchema;
    const dataRequired = new Set(data.required ?? []);
    for (const [name, property] of Object.entries(data.properties)) {
      for (const check of propertyChecks(
        property,
        `${PARAM('data')}.${name}`,
        `data.${name}`,
        dataRequired.has(name),
        dialect,
      )) {
        checks.push({
          ...check,
          when: `${PARAM('type')} = ${sqlString(type, dialect)} AND ${PARAM('data')} IS NOT NULL AND ${check.when}`,
        });
      }
    }
    // Fields required for some statuses only (zod refinements, so not in the JSON Schema's `required`).
    for (const [field, statuses] of Object.entries(requiredWhenOf(type))) {
      const listed = statuses.map((status) => sqlString(status, dialect)).join(', ');
      checks.push({
        when: `${PARAM('type')} = ${sqlString(type, dialect)} AND ${PARAM('data')} IS NOT NULL AND ${PARAM('data')}.status IN (${listed}) AND ${PARAM('data')}.${field} IS NULL`,
        issue: `data.${field}: is required when status is ${statuses.join(' or ')}`,
        aborts: false,
      });
    }
  }
  return checks;
}

function issueList(checks: readonly Check[], dialect: Dialect): string {
  const parts = checks.map(
    (check) => `      CASE WHEN ${check.when} THEN ${sqlString(`${check.issue}; `, dialect)} ELSE '' END`,
  );
  return `CONCAT(\n${parts.join(',\n')}\n    )`;
}

/** The raw columns validation reads, in raw column order: its parameters. */
export function validatedColumns(): BigQueryColumn[] {
  const names = [
    'specversion',
    'id',
    'source',
    'type',
    'subject',
    'time',
    'sequence',
    'datacontenttype',
    'data',
    'traceparent',
  ];
  return rawItemEventsColumns().filter((column) => names.includes(column.name));
}

/**
 * The body of `item_event_reject_reason(...)`: NULL for an event @rims/schemas accepts, else its
 * issues as `path: message; path: message`; and the CASE arms of `item_status_of(type, status)`, where
 * `status` is the event's `data.status` (the status of a type that takes it from its data).
 */
export function validationBodies(dialect: Dialect): { rejectReason: string; statuses: string } {
  const checks = catalogueChecks(dialect);
  const known = RIMS_EVENT_TYPES.map((type) => sqlString(type, dialect)).join(', ');
  const all = issueList(checks, dialect);
  const aborting = checks.filter((check) => check.aborts);
  const abortingList = issueList(aborting, dialect);
  // The subject rule of each type (the item id, or heartbeat/<replica>), types sharing a rule together.
  const rules = new Map<string, { rule: SubjectRule; types: string[] }>();
  for (const type of RIMS_EVENT_TYPES) {
    const rule: SubjectRule = eventCatalog[type].subject;
    const key = `${rule.prefix}|${rule.field}`;
    const group = rules.get(key) ?? { rule, types: [] };
    group.types.push(sqlString(type, dialect));
    rules.set(key, group);
  }
  const subjectArms = [...rules.values()].map(({ rule, types }) => {
    const field = `${PARAM('data')}.${rule.field}`;
    const expected = rule.prefix === '' ? field : `CONCAT(${sqlString(rule.prefix, dialect)}, ${field})`;
    const issue = rule.prefix === '' ? `data.${rule.field}` : `${rule.prefix}<data.${rule.field}>`;
    return `      WHEN ${PARAM('type')} IN (${types.join(', ')}) AND ${PARAM('subject')} <> ${expected} THEN ${sqlString(`subject: must equal ${issue}; `, dialect)}`;
  });
  const subjectCheck = `    CASE WHEN ${abortingList} = '' THEN CASE\n${subjectArms.join('\n')}\n      ELSE '' END ELSE '' END`;
  const trim = (text: string) =>
    dialect === 'bigquery' ? `NULLIF(RTRIM(${text}, '; '), '')` : `NULLIF(rtrim(${text}, '; '), '')`;
  const body = [
    '  CASE',
    `    WHEN ${PARAM('type')} IS NULL THEN 'type: is required'`,
    `    WHEN ${PARAM('type')} NOT IN (${known})`,
    `      THEN CONCAT('type: ', ${PARAM('type')}, ${sqlString(` is not a known RIMS event type (known types: ${RIMS_EVENT_TYPES.join(', ')})`, dialect)})`,
    '    ELSE',
    trim(
      `CONCAT(\n    ${all},\n    -- zod checks the subject rule only when no field is missing or a wrong literal.\n${subjectCheck}\n    )`,
    ),
    '  END',
  ].join('\n');
  // A pipeline event has no item status: item_status_of returns NULL for it.
  const statuses = ITEM_EVENT_TYPES.map((type: ItemEventType) => {
    const status = eventCatalog[type].status;
    const result = status === STATUS_FROM_DATA ? PARAM('status') : sqlString(status, dialect);
    return `    WHEN ${sqlString(type, dialect)} THEN ${result}`;
  }).join('\n');
  return { rejectReason: body, statuses };
}
