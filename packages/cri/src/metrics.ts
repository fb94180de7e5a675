/**
 * Pod and container metrics for the kubelet's CRI metrics collector
 * (ListMetricDescriptors, ListPodSandboxMetrics), under cAdvisor's names and
 * labels so that its dashboards read them unchanged. The values are the
 * figures PodSandboxStats gives; the proto carries whole numbers, so CPU time
 * is in whole seconds (as CRI-O reports it).
 */
import type { PodSandboxStatsMessage } from './stats-messages.js';

/** cAdvisor's labels of a container's series; a pod's own series have container "POD". */
const CONTAINER_LABELS = ['container', 'id', 'image', 'name', 'namespace', 'pod'];
const INTERFACE_LABELS = [...CONTAINER_LABELS, 'interface'];

type MetricType = 'COUNTER' | 'GAUGE';
interface Definition { name: string; help: string; labels: string[]; type: MetricType }

const def = (name: string, help: string, type: MetricType, labels = CONTAINER_LABELS): Definition => ({ name, help, labels, type });

const CPU = def('container_cpu_usage_seconds_total', 'Cumulative CPU time consumed, in whole seconds.', 'COUNTER');
const MEMORY_USAGE = def('container_memory_usage_bytes', 'Current memory usage, including all memory regardless of when it was accessed.', 'GAUGE');
const WORKING_SET = def('container_memory_working_set_bytes', 'Current working set: memory usage less inactive file pages.', 'GAUGE');
const RSS = def('container_memory_rss', 'Size of RSS in bytes.', 'GAUGE');
const RX = def('container_network_receive_bytes_total', 'Cumulative bytes received.', 'COUNTER', INTERFACE_LABELS);
const TX = def('container_network_transmit_bytes_total', 'Cumulative bytes transmitted.', 'COUNTER', INTERFACE_LABELS);
const DEFINITIONS = [CPU, MEMORY_USAGE, WORKING_SET, RSS, RX, TX];

export const metricDescriptors = () => DEFINITIONS.map((d) => ({ name: d.name, help: d.help, label_keys: d.labels }));

type Value = { value: string } | null | undefined;
interface Usage {
  cpu?: { usage_core_nano_seconds?: Value } | null;
  memory?: { usage_bytes?: Value; working_set_bytes?: Value; rss_bytes?: Value } | null;
}

/** One sample, unless the figure is missing; timestamp 0: collected now, as the collector reads it. */
function sample(d: Definition, labels: string[], value: bigint | undefined) {
  return value === undefined ? [] : [{ name: d.name, timestamp: '0', metric_type: d.type, label_values: labels, value: { value: String(value) } }];
}

const number = (v: Value): bigint | undefined => (v === null || v === undefined ? undefined : BigInt(v.value));

function usageMetrics(u: Usage, labels: string[]) {
  const cpu = number(u.cpu?.usage_core_nano_seconds);
  return [
    ...sample(CPU, labels, cpu === undefined ? undefined : cpu / 1_000_000_000n),
    ...sample(MEMORY_USAGE, labels, number(u.memory?.usage_bytes)),
    ...sample(WORKING_SET, labels, number(u.memory?.working_set_bytes)),
    ...sample(RSS, labels, number(u.memory?.rss_bytes)),
  ];
}

/** A sandbox's metrics (the pod's cgroup and network as container "POD") and each container's. */
export function podSandboxMetrics(s: PodSandboxStatsMessage, images: Map<string, string>) {
  const meta = s.attributes.metadata;
  const labelsOf = (container: string, id: string) => [container, id, images.get(id) ?? '', id, meta.namespace, meta.name];
  const podLabels = labelsOf('POD', s.attributes.id);
  const network = s.linux.network?.interfaces ?? [];
  return {
    pod_sandbox_id: s.attributes.id,
    metrics: [
      ...usageMetrics(s.linux, podLabels),
      ...network.flatMap((i) => [...sample(RX, [...podLabels, i.name], number(i.rx_bytes)), ...sample(TX, [...podLabels, i.name], number(i.tx_bytes))]),
    ],
    container_metrics: s.linux.containers.map((c) => ({
      container_id: c.attributes.id,
      metrics: usageMetrics(c, labelsOf(c.attributes.metadata.name, c.attributes.id)),
    })),
  };
}
