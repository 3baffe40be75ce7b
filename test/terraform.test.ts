/**
 * The Terraform module (deploy/terraform/modules/rims) checked against the code, without a Terraform
 * binary: the HCL is parsed with @cdktf/hcl2json and compared with what `rims-merger provision`
 * creates, the README's IAM table, the binaries' configuration schemas, DESIGN.md's `check` flags,
 * the metrics the code emits and the README's alert runbook.
 *
 * Each check is a function that lists problems; the tests run it on the module as written (no
 * problem allowed) and on a copy with one deliberate mistake (the problem must be reported), so
 * every check is known to be able to fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_RETENTION,
  DEFAULT_DATASETS,
  DEFAULT_PUBSUB_NAMES,
  DEFAULT_RAW_TABLE,
  MERGER_METRIC_NAMES,
  MERGER_SETTINGS,
  mergerConfigSchema,
  rawSubscriptionRequest,
  renderStatement,
} from '@rims/merger';
import { LEASE_PARTITIONS, relayConfigSchema } from '@rims/relay';
import { parseDuration, rawItemEventsColumns } from '@rims/schemas';
// Not part of @rims/relay's public API: the metric names live only in this factory.
import { createRelayMetrics } from '../packages/relay/src/metrics.js';
import {
  PROJECT_NUMBER,
  evaluate,
  instances,
  loadTerraform,
  resourceInstance,
  type Block,
  type TerraformModule,
} from './terraform-hcl.js';

const root = (relative: string) => fileURLToPath(new URL(`../${relative}`, import.meta.url));
const MODULE_DIR = root('deploy/terraform/modules/rims');
const EXAMPLE_DIR = root('deploy/terraform/examples/production');
const PROJECT = 'rims-test-project';
const REGION = 'europe-west1';
/** What a caller passes for the variables without a default. */
const INPUTS = {
  project_id: PROJECT,
  region: REGION,
  relay_image: 'europe-docker.pkg.dev/rims-test-project/rims/rims-relay',
  relay_image_tag: '1.0.0',
  merger_image: 'europe-docker.pkg.dev/rims-test-project/rims/rims-merger',
  merger_image_tag: '1.0.0',
  cloud_sql_instance: 'rims-test-project:europe-west1:rims',
  relay_database_url_secret: 'rims-relay-database-url',
};

const readme = readFileSync(root('README.md'), 'utf8');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted: HCL and the client libraries order keys differently. */
function canonical(value: unknown): string {
  const sort = (item: unknown): unknown =>
    Array.isArray(item)
      ? item.map(sort)
      : isRecord(item)
        ? Object.fromEntries(
            Object.keys(item)
              .sort()
              .map((key) => [key, sort(item[key])]),
          )
        : item;
  return JSON.stringify(sort(value));
}

/** The one nested block `name` of a block (hcl2json gives nested blocks as arrays). */
function nested(block: Block, name: string): Block {
  const list = block[name];
  if (!Array.isArray(list) || list.length !== 1 || !isRecord(list[0]))
    throw new Error(`expected one ${name} block`);
  return list[0];
}

/** A copy of the module with one resource, local or variable changed: the mistakes the checks must catch. */
function mutate(
  mod: TerraformModule,
  change: { resource?: [string, (block: Block) => Block]; local?: [string, unknown] },
): TerraformModule {
  const resources = new Map(mod.resources);
  if (change.resource) {
    const [address, edit] = change.resource;
    const block = resources.get(address);
    if (!block) throw new Error(`no resource ${address}`);
    resources.set(address, edit(structuredClone(block)));
  }
  const locals = change.local ? { ...mod.locals, [change.local[0]]: change.local[1] } : mod.locals;
  return { ...mod, resources, locals };
}

// ---------------------------------------------------------------------------------------------
// Names and settings against `rims-merger provision`
// ---------------------------------------------------------------------------------------------

/** The raw table as the BigQuery DDL creates it: dataset, table, partitioning, clustering, options. */
function rawTableDdl() {
  const sql = renderStatement(
    'bigquery',
    'ddl/002_raw_item_events.generated.sql',
    DEFAULT_DATASETS,
    DEFAULT_RAW_TABLE,
  );
  const create = /CREATE TABLE IF NOT EXISTS `(\w+)`\.(\w+)/.exec(sql);
  const partition = /PARTITION BY TIMESTAMP_TRUNC\((\w+), (\w+)\)/.exec(sql);
  const cluster = /CLUSTER BY ([\w, ]+)\n/.exec(sql);
  const expiration = /partition_expiration_days = ([\d.]+)/.exec(sql);
  if (!create || !partition || !cluster || !expiration) throw new Error('the raw table DDL changed shape');
  return {
    dataset: create[1],
    table: create[2],
    partitionColumn: partition[1],
    partition: partition[2],
    clustering: (cluster[1] ?? '').split(',').map((column) => column.trim()),
    expirationDays: Number(expiration[1]),
    requirePartitionFilter: sql.includes('require_partition_filter = TRUE'),
  };
}

function checkNames(mod: TerraformModule): string[] {
  const problems: string[] = [];
  const expectEqual = (what: string, actual: unknown, expected: unknown) => {
    if (canonical(actual) !== canonical(expected))
      problems.push(`${what} is ${JSON.stringify(actual)}, provision creates ${JSON.stringify(expected)}`);
  };
  const topic = resourceInstance(mod, 'google_pubsub_topic.events');
  const deadLetter = resourceInstance(mod, 'google_pubsub_topic.dead_letter');
  const raw = resourceInstance(mod, 'google_pubsub_subscription.raw');
  const keeper = resourceInstance(mod, 'google_pubsub_subscription.dead_letter');
  expectEqual('the topic', topic.name, DEFAULT_PUBSUB_NAMES.topic);
  expectEqual('the dead-letter topic', deadLetter.name, DEFAULT_PUBSUB_NAMES.deadLetterTopic);
  expectEqual('the raw subscription', raw.name, DEFAULT_PUBSUB_NAMES.subscription);
  expectEqual(
    'the raw subscription topic',
    raw.topic,
    `projects/${PROJECT}/topics/${DEFAULT_PUBSUB_NAMES.topic}`,
  );
  expectEqual('the dead-letter subscription', keeper.name, DEFAULT_PUBSUB_NAMES.deadLetterSubscription);
  expectEqual(
    'the dead-letter subscription topic',
    keeper.topic,
    `projects/${PROJECT}/topics/${DEFAULT_PUBSUB_NAMES.deadLetterTopic}`,
  );
  expectEqual(
    'the dead-letter retention',
    keeper.message_retention_duration,
    `${String(DEAD_LETTER_RETENTION.seconds)}s`,
  );
  const datasets: Record<string, unknown> = Object.fromEntries(
    instances(mod, 'google_bigquery_dataset.tiers').map((each): [string, unknown] => [
      each?.key ?? '',
      resourceInstance(mod, 'google_bigquery_dataset.tiers', each?.key).dataset_id,
    ]),
  );
  expectEqual('the datasets', datasets, DEFAULT_DATASETS);
  const ddl = rawTableDdl();
  const table = resourceInstance(mod, 'google_bigquery_table.raw_item_events');
  expectEqual(
    'the raw table',
    `${String(table.dataset_id)}.${String(table.table_id)}`,
    `${ddl.dataset}.${ddl.table}`,
  );
  return problems;
}

/** provision's request in Terraform's shape: snake_case names, nested blocks as lists, durations as "Ns". */
function toTerraform(value: unknown): unknown {
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'seconds') return `${String(value.seconds)}s`;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
        isRecord(item) && !('seconds' in item) ? [toTerraform(item)] : toTerraform(item),
      ]),
    );
  }
  return value;
}

/** Attributes of the raw subscription that provision does not set, each on purpose. */
const RAW_SUBSCRIPTION_EXTRAS = new Set([
  'project',
  'name',
  'topic',
  'labels',
  'depends_on',
  'expiration_policy',
]);

function checkRawSubscription(mod: TerraformModule): string[] {
  const table = `${PROJECT}.${DEFAULT_DATASETS.raw}.${rawTableDdl().table ?? ''}`;
  const expected = toTerraform(
    rawSubscriptionRequest(
      { kind: 'bigquery', bigQueryTable: table },
      `projects/${PROJECT}/topics/${DEFAULT_PUBSUB_NAMES.deadLetterTopic}`,
    ),
  ) as Record<string, unknown>;
  const actual = resourceInstance(mod, 'google_pubsub_subscription.raw');
  const problems: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (canonical(actual[key]) !== canonical(value))
      problems.push(
        `raw subscription ${key} is ${JSON.stringify(actual[key])}, provision sets ${JSON.stringify(value)}`,
      );
  }
  for (const key of Object.keys(actual)) {
    if (!(key in expected) && !RAW_SUBSCRIPTION_EXTRAS.has(key))
      problems.push(`raw subscription sets ${key}, which provision does not`);
  }
  return problems;
}

function checkRawTable(mod: TerraformModule): string[] {
  const ddl = rawTableDdl();
  const table = resourceInstance(mod, 'google_bigquery_table.raw_item_events');
  const partitioning = nested(table, 'time_partitioning');
  const problems: string[] = [];
  const expectEqual = (what: string, actual: unknown, expected: unknown) => {
    if (canonical(actual) !== canonical(expected))
      problems.push(
        `raw table ${what} is ${JSON.stringify(actual)}, the DDL says ${JSON.stringify(expected)}`,
      );
  };
  expectEqual('partition column', partitioning.field, ddl.partitionColumn);
  expectEqual('partition unit', partitioning.type, ddl.partition);
  expectEqual('partition expiration', partitioning.expiration_ms, ddl.expirationDays * 86_400_000);
  expectEqual('clustering', table.clustering, ddl.clustering);
  expectEqual('require_partition_filter', table.require_partition_filter, ddl.requirePartitionFilter);
  const schemaFile = evaluate(mod, mod.locals.raw_table_schema_file) as string;
  if (!existsSync(schemaFile)) problems.push(`raw table schema file ${schemaFile} does not exist`);
  else
    expectEqual(
      'schema',
      JSON.parse(readFileSync(schemaFile, 'utf8')),
      JSON.parse(JSON.stringify(rawItemEventsColumns())),
    );
  // The jobs (and so `provision` run from them) must re-apply the same options to the table.
  const env = evaluate(mod, mod.locals.merger_env) as Record<string, unknown>;
  expectEqual('MERGER_RAW_PARTITION of the jobs', env.MERGER_RAW_PARTITION, partitioning.type);
  expectEqual(
    'MERGER_RAW_PARTITION_EXPIRATION of the jobs',
    env.MERGER_RAW_PARTITION_EXPIRATION,
    `${String(Number(partitioning.expiration_ms) / 86_400_000)}d`,
  );
  return problems;
}

// ---------------------------------------------------------------------------------------------
// IAM against the README's table
// ---------------------------------------------------------------------------------------------

/** README identity rows → the module's identity, or why the module grants it nothing. */
const IDENTITIES: [RegExp, string | null][] = [
  [/^application \(database role\)/, null], // a PostgreSQL role: no Google Cloud grant
  [/^relay service account/, 'relay'],
  [/^Pub\/Sub service agent/, 'pubsub-agent'],
  [/^merger service account/, 'merger'],
  [/^Cloud Scheduler service account/, 'scheduler'],
  [/^CI /, null], // runs Terraform itself: granted once by hand (bootstrap)
  [/^report readers/, 'report-readers'],
];

/** The README's grants as `identity role target` lines, and the service account ids it names. */
function readmeGrants(text: string): { grants: string[]; accountIds: Record<string, string> } {
  const start = text.indexOf('### IAM, per component\n');
  if (start === -1) throw new Error('README has no IAM table');
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const table = lines.slice(
    first,
    lines.findIndex((line, i) => i > first && !line.startsWith('|')),
  );
  const grants: string[] = [];
  const accountIds: Record<string, string> = {};
  for (const row of table.slice(2)) {
    const [, identityCell = '', rolesCell = ''] = row.split('|').map((cell) => cell.trim());
    const entry = IDENTITIES.find(([pattern]) => pattern.test(identityCell));
    if (!entry) throw new Error(`README IAM row "${identityCell}" names no identity the test knows`);
    const identity = entry[1];
    if (identity === null) continue;
    const account = /`([a-z][a-z0-9-]+)`/.exec(identityCell);
    if (account && identity !== 'pubsub-agent') accountIds[identity] = account[1] ?? '';
    for (const part of rolesCell.split(';')) {
      const roles = [...part.matchAll(/`(roles\/[\w.]+)`/g)].map((found) => found[1] ?? '');
      if (roles.length === 0) continue;
      const on = part.indexOf(' on ');
      if (on === -1) throw new Error(`README IAM "${part.trim()}" does not say on what`);
      const scope = part.slice(on + 4);
      const targets = [...scope.replace(/\(.*\)/, '').matchAll(/`([^`]+)`/g)].map((found) => found[1] ?? '');
      if (targets.length === 0 && /^the project\b/.test(scope)) targets.push('project');
      if (targets.length === 0) throw new Error(`README IAM "${part.trim()}": no target`);
      for (const role of roles) for (const target of targets) grants.push(`${identity} ${role} ${target}`);
    }
  }
  return { grants: grants.sort(), accountIds };
}

/** The identity an IAM member of the module is. */
function identityOf(mod: TerraformModule, member: unknown): string {
  const accounts: Record<string, string> = {};
  for (const address of mod.resources.keys()) {
    if (!address.startsWith('google_service_account.')) continue;
    const account = resourceInstance(mod, address);
    accounts[`serviceAccount:${String(account.account_id)}@${PROJECT}.iam.gserviceaccount.com`] =
      address.slice('google_service_account.'.length);
  }
  const text = String(member);
  if (text === `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`)
    return 'pubsub-agent';
  return accounts[text] ?? text;
}

/** The resource an IAM member resource grants on, in the README's words. */
function targetOf(type: string, block: Block): string {
  switch (type) {
    case 'google_project_iam_member':
      return 'project';
    case 'google_pubsub_topic_iam_member':
      return String(block.topic);
    case 'google_pubsub_subscription_iam_member':
      return String(block.subscription);
    case 'google_bigquery_dataset_iam_member':
      return String(block.dataset_id);
    case 'google_bigquery_table_iam_member':
      return `${String(block.dataset_id)}.${String(block.table_id)}`;
    case 'google_cloud_run_v2_job_iam_member':
      return String(block.name);
    case 'google_secret_manager_secret_iam_member':
      // The secret's id is the caller's; the README names what it holds.
      return block.secret_id === INPUTS.relay_database_url_secret ? 'DATABASE_URL' : String(block.secret_id);
    default:
      throw new Error(`the test does not know IAM resource ${type}`);
  }
}

/** The module's grants as `identity role target` lines; for_each over caller members counts as report readers. */
function moduleGrants(mod: TerraformModule): string[] {
  const grants: string[] = [];
  for (const [address, raw] of mod.resources) {
    const type = address.split('.')[0] ?? '';
    if (!type.endsWith('_iam_member') && !type.endsWith('_iam_binding') && !type.endsWith('_iam_policy'))
      continue;
    if (!type.endsWith('_iam_member'))
      throw new Error(`${address}: use *_iam_member (authoritative IAM would remove others' grants)`);
    const callerMembers = raw.for_each === '${toset(var.report_readers)}';
    const withReader = { ...mod, inputs: { ...mod.inputs, report_readers: ['group:readers@example.com'] } };
    for (const each of instances(withReader, address)) {
      const block = resourceInstance(withReader, address, each?.key);
      const identity = callerMembers ? 'report-readers' : identityOf(mod, block.member);
      grants.push(`${identity} ${String(block.role)} ${targetOf(type, block)}`);
    }
  }
  return grants.sort();
}

function checkIam(mod: TerraformModule, readmeText = readme): string[] {
  const { grants, accountIds } = readmeGrants(readmeText);
  const actual = moduleGrants(mod);
  const problems = [
    ...actual
      .filter((grant) => !grants.includes(grant))
      .map((grant) => `the module grants ${grant}, the README does not`),
    ...grants
      .filter((grant) => !actual.includes(grant))
      .map((grant) => `the README grants ${grant}, the module does not`),
  ];
  for (const [identity, accountId] of Object.entries(accountIds)) {
    const account = mod.resources.get(`google_service_account.${identity}`);
    if (!account) problems.push(`no service account for ${identity}`);
    else if (evaluate(mod, account.account_id) !== accountId)
      problems.push(
        `service account ${identity} is ${String(account.account_id)}, the README says ${accountId}`,
      );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Configuration of the relay and the jobs against the binaries
// ---------------------------------------------------------------------------------------------

/** The flags DESIGN.md documents for a `rims-merger` command, from its synopsis line. */
function designFlags(command: string): Set<string> {
  const path = root('../shared/DESIGN.md');
  const design = readFileSync(path, 'utf8');
  const line = design.split('\n').find((text) => text.includes(`\`rims-merger ${command} [`));
  if (!line) throw new Error(`DESIGN.md documents no rims-merger ${command} synopsis`);
  return new Set([...line.matchAll(/\[(--[\w-]+)/g)].map((found) => found[1] ?? ''));
}

function checkRuntimeConfig(mod: TerraformModule): string[] {
  const problems: string[] = [];
  const relaySettings = new Set(Object.keys(relayConfigSchema.shape));
  const service = resourceInstance(mod, 'google_cloud_run_v2_service.relay');
  const template = nested(service, 'template');
  const containers = template.containers as Block[];
  const relay = containers.find((container) => container.name === 'relay');
  if (!relay) return ['the relay service has no container named relay'];
  const env = (relay.env as Block[]).map((item) => String(item.name));
  for (const name of env)
    if (!relaySettings.has(name)) problems.push(`the relay gets ${name}, which rims-relay does not read`);
  // The values must pass the binary's own validation (durations, ports, project id ...).
  const staticEnv = Object.fromEntries(
    (relay.env as Block[])
      .filter((item) => typeof item.value === 'string' || typeof item.value === 'number')
      .map((item) => [String(item.name), String(item.value)]),
  );
  const relayParsed = relayConfigSchema.safeParse(staticEnv);
  if (!relayParsed.success)
    problems.push(
      `rims-relay refuses its settings: ${relayParsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  const port = nested(relay, 'ports').container_port;
  const byName: Record<string, unknown> = Object.fromEntries(
    (relay.env as Block[]).map((item) => [String(item.name), item.value]),
  );
  if (String(byName.RELAY_HTTP_PORT) !== String(port))
    problems.push(
      `RELAY_HTTP_PORT ${String(byName.RELAY_HTTP_PORT)} is not the container port ${String(port)}`,
    );
  for (const [probe, path] of [
    ['startup_probe', '/readyz'],
    ['liveness_probe', '/healthz'],
  ] as const) {
    const get = nested(nested(relay, probe), 'http_get');
    if (get.path !== path || String(get.port) !== String(port))
      problems.push(
        `${probe} is ${String(get.path)} on ${String(get.port)}, expected ${path} on ${String(port)}`,
      );
  }
  const startup = nested(relay, 'startup_probe');
  // Cloud Run refuses a startup probe whose period x failure threshold exceeds 240 s.
  if (Number(startup.period_seconds) * Number(startup.failure_threshold) > 240)
    problems.push('the startup probe gives the relay more than the 240 s Cloud Run allows');
  const scaling = nested(template, 'scaling');
  if (Number(scaling.min_instance_count) < 1) problems.push('the relay may scale to zero instances');
  if (Number(scaling.max_instance_count) > LEASE_PARTITIONS)
    problems.push(`more relay instances than the ${String(LEASE_PARTITIONS)} lease partitions`);
  if (evaluate(mod, mod.locals.lease_partitions) !== LEASE_PARTITIONS)
    problems.push(`local.lease_partitions is not LEASE_PARTITIONS (${String(LEASE_PARTITIONS)})`);

  const mergerEnv = evaluate(mod, mod.locals.merger_env) as Record<string, unknown>;
  for (const name of Object.keys(mergerEnv))
    if (!MERGER_SETTINGS.includes(name))
      problems.push(`the merger jobs get ${name}, which rims-merger does not read`);
  const mergerParsed = mergerConfigSchema.safeParse(
    Object.fromEntries(Object.entries(mergerEnv).map(([name, value]) => [name, String(value)])),
  );
  if (!mergerParsed.success)
    problems.push(
      `rims-merger refuses its settings: ${mergerParsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  const jobs = evaluate(mod, mod.locals.merger_jobs) as Record<string, { args: string[] }>;
  for (const each of instances(mod, 'google_cloud_run_v2_job.merger')) {
    const job = resourceInstance(mod, 'google_cloud_run_v2_job.merger', each?.key);
    const container = nested(nested(nested(job, 'template'), 'template'), 'containers');
    const dynamicEnv = nested(container.dynamic as Block, 'env');
    if (dynamicEnv.for_each !== '${local.merger_env}')
      problems.push(`job ${String(job.name)} does not get local.merger_env`);
    const [command = '', ...rest] = (container.args as unknown[]).map(String);
    if (!['run', 'audit', 'check'].includes(command))
      problems.push(`job ${String(job.name)} runs unknown command ${command}`);
    const documented = command === 'check' ? designFlags('check') : new Set<string>();
    const maxLag = rest[rest.indexOf('--max-lag') + 1];
    if (rest.includes('--max-lag') && (maxLag === undefined || parseDuration(maxLag) === undefined))
      problems.push(`job ${String(job.name)} passes --max-lag ${String(maxLag)}, which is not a duration`);
    for (const flag of rest.filter((arg) => arg.startsWith('--')))
      if (!documented.has(flag))
        problems.push(
          `job ${String(job.name)} passes ${flag}, which DESIGN.md does not document for ${command}`,
        );
    const schedule = resourceInstance(mod, 'google_cloud_scheduler_job.merger', each?.key);
    const target = nested(schedule, 'http_target');
    const uri = `https://run.googleapis.com/v2/projects/${PROJECT}/locations/${REGION}/jobs/${String(job.name)}:run`;
    if (target.uri !== uri)
      problems.push(`schedule of ${String(job.name)} calls ${String(target.uri)}, expected ${uri}`);
    if (
      nested(target, 'oauth_token').service_account_email !==
      `rims-scheduler@${PROJECT}.iam.gserviceaccount.com`
    )
      problems.push(`schedule of ${String(job.name)} does not run as the scheduler service account`);
  }
  if (!Object.values(jobs).some((job) => job.args[0] === 'check'))
    problems.push('no job runs rims-merger check');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Alerts and dashboard against the metrics the code emits, and the runbook
// ---------------------------------------------------------------------------------------------

/** Every metric name the relay's Prometheus endpoint can serve (histograms with their series suffixes). */
function relayMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const metric of createRelayMetrics({ process: true }).registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/**
 * Metrics Google records for the resources the module creates (Cloud Run jobs, Pub/Sub
 * subscriptions), as metric types and in their PromQL form (first `/` → `:`, other `.` and `/` → `_`).
 */
const GOOGLE_METRICS = [
  'run.googleapis.com/job/completed_execution_count',
  'pubsub.googleapis.com/subscription/num_undelivered_messages',
  'pubsub.googleapis.com/subscription/oldest_unacked_message_age',
];
const promqlName = (type: string) => type.replace('/', ':').replace(/[./]/g, '_');

/** The metric names a PromQL query or a Monitoring filter mentions. */
function metricsIn(text: string): string[] {
  return [
    ...[...text.matchAll(/\brims_[a-z0-9_]+/g)].map((found) => found[0]),
    ...[...text.matchAll(/\b[a-z]+_googleapis_com:[a-z0-9_]+/g)].map((found) => found[0]),
    ...[...text.matchAll(/metric\.type\s*=\s*"([^"]+)"/g)].map((found) => found[1] ?? ''),
  ];
}

function unknownMetrics(where: string, text: string, relay: Set<string>): string[] {
  const merger = new Set<string>(Object.values(MERGER_METRIC_NAMES));
  const google = new Set([...GOOGLE_METRICS, ...GOOGLE_METRICS.map(promqlName)]);
  const found = metricsIn(text);
  if (found.length === 0) return [`${where} names no metric`];
  return found
    .filter((name) => !relay.has(name) && !merger.has(name) && !google.has(name))
    .map((name) => `${where} uses ${name}, which no code emits`);
}

/** The alert policies' conditions' texts (queries and filters), evaluated. */
function alertPolicies(mod: TerraformModule): { address: string; block: Block; texts: string[] }[] {
  return [...mod.resources.keys()]
    .filter((address) => address.startsWith('google_monitoring_alert_policy.'))
    .map((address) => {
      const block = resourceInstance(mod, address);
      const texts = (block.conditions as Block[]).flatMap((condition) =>
        Object.values(condition)
          .filter(Array.isArray)
          .flatMap((list) => (list as Block[]).flatMap((inner) => [inner.query, inner.filter]))
          .filter((text): text is string => typeof text === 'string'),
      );
      return { address, block, texts };
    });
}

/** The alerts issue 12 asks for, by what they watch: each needs a policy naming one of these metrics. */
const REQUIRED_ALERTS: Record<string, string> = {
  'relay backlog age': 'rims_relay_oldest_pending_age_seconds',
  'dead events': 'rims_relay_dead_events',
  'leases not held': 'rims_relay_leases_held',
  'heartbeat freshness': MERGER_METRIC_NAMES.heartbeatAge,
  'merge job failures': 'run.googleapis.com/job/completed_execution_count',
  'rejected ratio': MERGER_METRIC_NAMES.rejectedRatio,
  'dead-letter backlog': 'pubsub.googleapis.com/subscription/num_undelivered_messages',
};

function checkMetrics(mod: TerraformModule): string[] {
  const relay = relayMetricNames();
  const problems: string[] = [];
  const policies = alertPolicies(mod);
  for (const { address, texts } of policies)
    problems.push(...unknownMetrics(address, texts.join('\n'), relay));
  for (const [alert, metric] of Object.entries(REQUIRED_ALERTS)) {
    if (
      !relay.has(metric) &&
      !Object.values<string>(MERGER_METRIC_NAMES).includes(metric) &&
      !GOOGLE_METRICS.includes(metric)
    )
      problems.push(`the ${alert} alert's metric ${metric} is emitted by no code`);
    if (!policies.some(({ texts }) => texts.some((text) => metricsIn(text).includes(metric))))
      problems.push(`no alert policy watches ${alert} (${metric})`);
  }
  const leases = policies
    .flatMap(({ texts }) => texts)
    .find((text) => text.includes('rims_relay_leases_held'));
  if (leases && !leases.includes(`< ${String(LEASE_PARTITIONS)}`))
    problems.push(`the leases alert does not compare with ${String(LEASE_PARTITIONS)} partitions: ${leases}`);
  const charts = evaluate(mod, mod.locals.dashboard_charts) as { title: string; query: string }[];
  for (const chart of charts)
    problems.push(...unknownMetrics(`dashboard chart "${chart.title}"`, chart.query, relay));
  const dashboard = mod.resources.get('google_monitoring_dashboard.rims');
  if (!dashboard || !String(dashboard.dashboard_json).includes('local.dashboard_charts'))
    problems.push('the dashboard does not draw local.dashboard_charts');
  return problems;
}

/** `#### ` headings of the README's alert runbook. */
function runbookEntries(text: string): string[] {
  const start = text.indexOf('### Alert runbook\n');
  if (start === -1) return [];
  const end = text.indexOf('\n## ', start);
  return [...text.slice(start, end === -1 ? undefined : end).matchAll(/^#### (.+)$/gm)].map(
    (found) => found[1] ?? '',
  );
}

function checkRunbook(mod: TerraformModule, readmeText = readme): string[] {
  const entries = runbookEntries(readmeText);
  const policies = alertPolicies(mod);
  const names = policies.map(({ block }) => String(block.display_name));
  const problems = [
    ...names
      .filter((name) => !entries.includes(name))
      .map((name) => `alert "${name}" has no README runbook entry`),
    ...entries
      .filter((entry) => !names.includes(entry))
      .map((entry) => `runbook entry "${entry}" has no alert policy`),
  ];
  for (const { block } of policies) {
    const content = String(nested(block, 'documentation').content);
    if (!content.includes(`"${String(block.display_name)}"`))
      problems.push(
        `alert "${String(block.display_name)}" documentation does not point at its runbook entry`,
      );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe('Terraform module deploy/terraform/modules/rims', () => {
  let mod: TerraformModule;
  beforeAll(async () => {
    mod = await loadTerraform(MODULE_DIR, INPUTS);
  });

  it('parses, and every resource of it evaluates with only the required inputs', () => {
    expect(mod.resources.size).toBeGreaterThan(30);
    for (const address of mod.resources.keys()) {
      // Its JSON is built with a `for` expression the evaluator does not run; checkMetrics reads
      // the charts from local.dashboard_charts instead.
      if (address === 'google_monitoring_dashboard.rims') continue;
      for (const each of instances(mod, address))
        expect(() => resourceInstance(mod, address, each?.key)).not.toThrow();
    }
  });

  it('names the topics, subscriptions, datasets and raw table as provision does', () => {
    expect(checkNames(mod)).toEqual([]);
    const wrong = mutate(mod, { local: ['topic_name', 'rims-item-event'] });
    expect(checkNames(wrong)).toContain(
      'the topic is "rims-item-event", provision creates "rims-item-events"',
    );
    const wrongDataset = mutate(mod, {
      local: ['datasets', { raw: 'rims_raw', core: 'rims_core', analytics: 'analytics' }],
    });
    expect(checkNames(wrongDataset).join('\n')).toMatch(/the datasets is/);
  });

  it("gives the BigQuery subscription exactly provision's settings", () => {
    expect(checkRawSubscription(mod)).toEqual([]);
    const wrong = mutate(mod, {
      resource: [
        'google_pubsub_subscription.raw',
        (block) => ({
          ...block,
          bigquery_config: [{ ...nested(block, 'bigquery_config'), write_metadata: false }],
        }),
      ],
    });
    expect(checkRawSubscription(wrong).join('\n')).toMatch(
      /raw subscription bigquery_config is .*"write_metadata":false/,
    );
    const extra = mutate(mod, {
      resource: ['google_pubsub_subscription.raw', (block) => ({ ...block, ack_deadline_seconds: 60 })],
    });
    expect(checkRawSubscription(extra)).toContain(
      'raw subscription sets ack_deadline_seconds, which provision does not',
    );
  });

  it('creates the raw table as the DDL describes it, with the generated schema', () => {
    expect(checkRawTable(mod)).toEqual([]);
    const wrong = mutate(mod, {
      resource: [
        'google_bigquery_table.raw_item_events',
        (block) => ({ ...block, clustering: ['type', 'subject'] }),
      ],
    });
    expect(checkRawTable(wrong)).toContain(
      'raw table clustering is ["type","subject"], the DDL says ["subject","type"]',
    );
  });

  it("grants every identity exactly the README IAM table's roles", () => {
    expect(checkIam(mod)).toEqual([]);
    const extra = mutate(mod, {
      resource: [
        'google_project_iam_member.merger_job_user',
        (block) => ({ ...block, role: 'roles/bigquery.admin' }),
      ],
    });
    expect(checkIam(extra)).toEqual([
      'the module grants merger roles/bigquery.admin project, the README does not',
      'the README grants merger roles/bigquery.jobUser project, the module does not',
    ]);
    const readmeWithout = readme.replace('; `roles/bigquery.dataViewer` on `rims_raw`', '');
    expect(checkIam(mod, readmeWithout)).toEqual([
      'the module grants merger roles/bigquery.dataViewer rims_raw, the README does not',
    ]);
  });

  it('lets the check job pull the dead-letter subscription it counts (a read error is a breach)', () => {
    const jobs = mod.locals.merger_jobs as Record<string, { args?: unknown }>;
    const checks = Object.values(jobs).filter((job) => Array.isArray(job.args) && job.args[0] === 'check');
    expect(checks).toHaveLength(1);
    expect(moduleGrants(mod)).toContain('merger roles/pubsub.subscriber rims-item-events-dead-letter');
  });

  it("configures the relay and the jobs with settings the binaries read and DESIGN.md's check flags", () => {
    expect(checkRuntimeConfig(mod)).toEqual([]);
    const wrongEnv = mutate(mod, {
      local: ['merger_env', { ...(mod.locals.merger_env as object), MERGER_LOOK_BACK: '2d' }],
    });
    expect(checkRuntimeConfig(wrongEnv)).toContain(
      'the merger jobs get MERGER_LOOK_BACK, which rims-merger does not read',
    );
    const badValue = mutate(mod, {
      local: ['merger_env', { ...(mod.locals.merger_env as object), MERGER_LOOKBACK: 'two days' }],
    });
    expect(checkRuntimeConfig(badValue).join('\n')).toMatch(
      /rims-merger refuses its settings: MERGER_LOOKBACK/,
    );
    const jobs = mod.locals.merger_jobs as Record<string, Record<string, unknown>>;
    const wrongFlag = mutate(mod, {
      local: [
        'merger_jobs',
        {
          ...jobs,
          'rims-merger-check': { ...jobs['rims-merger-check'], args: ['check', '--max-age', '5m'] },
        },
      ],
    });
    expect(checkRuntimeConfig(wrongFlag)).toContain(
      'job rims-merger-check passes --max-age, which DESIGN.md does not document for check',
    );
  });

  it('alerts and charts only on metrics the code emits, and on each metric issue 12 asks for', () => {
    expect(checkMetrics(mod)).toEqual([]);
    const wrong = mutate(mod, {
      resource: [
        'google_monitoring_alert_policy.relay_dead_events',
        (block) => {
          const [condition] = block.conditions as Block[];
          const promql = nested(condition ?? {}, 'condition_prometheus_query_language');
          const query = String(promql.query).replace('rims_relay_dead_events', 'rims_relay_dead_event_count');
          return {
            ...block,
            conditions: [{ ...condition, condition_prometheus_query_language: [{ ...promql, query }] }],
          };
        },
      ],
    });
    const problems = checkMetrics(wrong);
    expect(problems).toContain(
      'google_monitoring_alert_policy.relay_dead_events uses rims_relay_dead_event_count, which no code emits',
    );
    expect(problems).toContain('no alert policy watches dead events (rims_relay_dead_events)');
  });

  it('has a README runbook entry for every alert policy, and a policy for every entry', () => {
    expect(checkRunbook(mod)).toEqual([]);
    expect(
      checkRunbook(mod, readme.replace('#### RIMS dead-letter backlog', '#### RIMS dead letters')),
    ).toEqual([
      'alert "RIMS dead-letter backlog" has no README runbook entry',
      'runbook entry "RIMS dead letters" has no alert policy',
    ]);
  });
});

describe('Terraform example deploy/terraform/examples/production', () => {
  it('uses the module with every variable the module requires, and only variables it has', async () => {
    const mod = await loadTerraform(MODULE_DIR, INPUTS);
    const example = await loadTerraform(EXAMPLE_DIR);
    const call = example.modules.get('rims');
    expect(call?.source).toBe('../../modules/rims');
    const passed = Object.keys(call ?? {}).filter((key) => key !== 'source');
    const required = [...mod.variables].filter(([, block]) => !('default' in block)).map(([name]) => name);
    expect(required.filter((name) => !passed.includes(name))).toEqual([]);
    expect(passed.filter((name) => !mod.variables.has(name))).toEqual([]);
  });
});
