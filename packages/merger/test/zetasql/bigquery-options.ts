/**
 * BigQuery as a ZetaSQL configuration: the released language version plus the engine features
 * BigQuery documents and our SQL uses, the external product mode (no INT32, UINT64 ...), QUALIFY
 * reserved as BigQuery reserves it, and named query parameters.
 */
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto.js';
import type { AnalyzerOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/AnalyzerOptionsProto.js';
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto.js';
import type { ZetaSqlServer } from './server.js';

/**
 * Engine features beyond the versioned ones that BigQuery supports: analytic functions, SQL and
 * templated (`ANY TYPE`) functions, table functions, PARTITION BY / CLUSTER BY / NOT NULL in
 * CREATE TABLE, the JSON type and its functions, SAFE. calls, QUALIFY, named arguments.
 */
const BIGQUERY_FEATURES = [
  'FEATURE_ANALYTIC_FUNCTIONS',
  'FEATURE_TABLE_VALUED_FUNCTIONS',
  'FEATURE_CREATE_TABLE_FUNCTION',
  'FEATURE_TEMPLATE_FUNCTIONS',
  'FEATURE_CREATE_TABLE_PARTITION_BY',
  'FEATURE_CREATE_TABLE_CLUSTER_BY',
  'FEATURE_CREATE_TABLE_NOT_NULL',
  'FEATURE_JSON_TYPE',
  'FEATURE_JSON_ARRAY_FUNCTIONS',
  'FEATURE_JSON_VALUE_EXTRACTION_FUNCTIONS',
  'FEATURE_JSON_CONSTRUCTOR_FUNCTIONS',
  'FEATURE_NAMED_ARGUMENTS',
  'FEATURE_DML_UPDATE_WITH_JOIN',
  'FEATURE_V_1_2_SAFE_FUNCTION_CALL',
  'FEATURE_V_1_3_QUALIFY',
] as const;

/** BigQuery's language options on this ZetaSQL server. */
export async function bigQueryLanguageOptions(server: ZetaSqlServer): Promise<LanguageOptionsProto> {
  const current = await server.languageOptions({ languageVersion: 'VERSION_CURRENT' });
  // The server answers with enum numbers; names are accepted too.
  const features = new Set<string | number>([...current.enabledLanguageFeatures, ...BIGQUERY_FEATURES]);
  return {
    nameResolutionMode: 'NAME_RESOLUTION_DEFAULT',
    productMode: 'PRODUCT_EXTERNAL',
    // Every statement kind: the statements themselves decide (DDL, DML, queries).
    supportedStatementKinds: [],
    enabledLanguageFeatures: [...features] as LanguageOptionsProto['enabledLanguageFeatures'],
    reservedKeywords: ['QUALIFY'],
  };
}

/** A query parameter's type as the BigQuery client sends it (`parameterType.type`), in ZetaSQL terms. */
export function parameterTypeProto(bigQueryType: string): TypeProto {
  const element = /^ARRAY<(.+)>$/.exec(bigQueryType)?.[1];
  if (element) return { typeKind: 'TYPE_ARRAY', arrayType: { elementType: parameterTypeProto(element) } };
  const kinds: Record<string, TypeProto['typeKind']> = {
    STRING: 'TYPE_STRING',
    INT64: 'TYPE_INT64',
    TIMESTAMP: 'TYPE_TIMESTAMP',
    BOOL: 'TYPE_BOOL',
    JSON: 'TYPE_JSON',
  };
  const kind = kinds[bigQueryType];
  if (!kind) throw new Error(`no ZetaSQL type for the BigQuery parameter type ${bigQueryType}`);
  return { typeKind: kind };
}

/** Analyzer options for one statement: BigQuery's language, its named parameters with their types. */
export function analyzerOptions(
  language: LanguageOptionsProto,
  parameters: Readonly<Record<string, string>>,
): AnalyzerOptionsProto {
  return {
    languageOptions: language,
    errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
    parameterMode: 'PARAMETER_NAMED',
    defaultTimezone: 'UTC',
    queryParameters: Object.entries(parameters).map(([name, type]) => ({
      name,
      type: parameterTypeProto(type),
    })),
  };
}
