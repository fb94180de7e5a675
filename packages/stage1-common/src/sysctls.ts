/**
 * The pod's sysctls (podstage.io/sysctls) where its namespaces are the host's: a net.* sysctl of
 * a pod on the host's network, or an IPC one of a pod in the host's IPC namespace, would change
 * the host. Refused by stage1s whose pods can share those (runc, host).
 */
import { hostNamespaces, isNetSysctl, PodstageError, podSysctls, SYSCTLS_ANNOTATION, type PodManifest } from '@podstage/contract';

/** The pod's sysctls as "NAME VALUE" lines, for the stage1 scripts that set them (nspawn-runtime, the kvm guest's agent). */
export function sysctlLines(m: PodManifest): string {
  return Object.entries(podSysctls(m.annotations)).map(([name, value]) => `${name} ${value}\n`).join('');
}

export function checkPodSysctls(m: PodManifest, o: { net: string }): Record<string, string> {
  const sysctls = podSysctls(m.annotations);
  const hostIpc = hostNamespaces(m.annotations).ipc;
  for (const name of Object.keys(sysctls)) {
    const shared = isNetSysctl(name) ? (o.net === 'host' ? 'network' : undefined) : hostIpc ? 'IPC namespace' : undefined;
    if (shared !== undefined) {
      throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `annotation ${SYSCTLS_ANNOTATION}: ${name} would change the host: the pod shares the host's ${shared}`);
    }
  }
  return sysctls;
}
