/**
 * True when a container runtime (Docker, Podman, a remote DOCKER_HOST) answers. testcontainers is
 * loaded only then, so machines without one never pay for it.
 */
export async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
