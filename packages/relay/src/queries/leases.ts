import { statement } from './statement.js';

/** heartbeat-replica.sql: no row when another live process holds the replica id. */
export const heartbeatReplica = statement<
  [replicaId: string, ttlMs: number, instance: string],
  { replica_id: string }
>('postgres/relay/heartbeat-replica.sql');

/** live-replicas.sql: prunes expired registrations and lists the live ones. */
export const liveReplicas = statement<[], { replica_id: string }>('postgres/relay/live-replicas.sql');

/** renew-leases.sql: the leases still held, renewed. */
export const renewLeases = statement<[replicaId: string, ttlMs: number], { lease_partition: number }>(
  'postgres/relay/renew-leases.sql',
);

/** acquire-leases.sql: up to `count` free or expired leases, taken. */
export const acquireLeases = statement<
  [replicaId: string, ttlMs: number, count: number],
  { lease_partition: number }
>('postgres/relay/acquire-leases.sql');

/** release-leases.sql: gives leases back at once. */
export const releaseLeases = statement<[replicaId: string, partitions: readonly number[]]>(
  'postgres/relay/release-leases.sql',
);

/** deregister-replica.sql: removes this process's registration. */
export const deregisterReplica = statement<[replicaId: string, instance: string], { replica_id: string }>(
  'postgres/relay/deregister-replica.sql',
);
