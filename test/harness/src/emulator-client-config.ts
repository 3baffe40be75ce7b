/**
 * Options for a `PubSub` client bound to the emulator at `host`. An `apiEndpoint` that is not a
 * googleapis.com host puts the client in emulator mode (plain-text gRPC, no credentials).
 */
export function emulatorClientConfig(
  host: string,
  projectId: string,
): { apiEndpoint: string; projectId: string } {
  return { apiEndpoint: host, projectId };
}
