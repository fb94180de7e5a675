/** The implemented RPCs, by the method names of api.proto. */
import type { Streaming } from '@podstage/grpc';
import type { CriContext } from './context.js';
import { streamedList } from './rpc/stream-list.js';
import type { Rpc } from './rpc/types.js';
import { Version } from './rpc/version.js';
import { Status } from './rpc/status.js';
import { UpdateRuntimeConfig } from './rpc/update-runtime-config.js';
import { RuntimeConfig } from './rpc/runtime-config.js';
import { RunPodSandbox } from './rpc/run-pod-sandbox.js';
import { StopPodSandbox } from './rpc/stop-pod-sandbox.js';
import { RemovePodSandbox } from './rpc/remove-pod-sandbox.js';
import { PodSandboxStatus } from './rpc/pod-sandbox-status.js';
import { ListPodSandbox } from './rpc/list-pod-sandbox.js';
import { CreateContainer } from './rpc/create-container.js';
import { StartContainer } from './rpc/start-container.js';
import { StopContainer } from './rpc/stop-container.js';
import { RemoveContainer } from './rpc/remove-container.js';
import { ListContainers } from './rpc/list-containers.js';
import { ContainerStatus } from './rpc/container-status.js';
import { ExecSync } from './rpc/exec-sync.js';
import { Exec } from './rpc/exec.js';
import { Attach } from './rpc/attach.js';
import { PortForward } from './rpc/port-forward.js';
import { ReopenContainerLog } from './rpc/reopen-container-log.js';
import { UpdateContainerResources } from './rpc/update-container-resources.js';
import { ContainerStats } from './rpc/container-stats.js';
import { ListContainerStats } from './rpc/list-container-stats.js';
import { PodSandboxStats } from './rpc/pod-sandbox-stats.js';
import { ListPodSandboxStats } from './rpc/list-pod-sandbox-stats.js';
import { ListMetricDescriptors } from './rpc/list-metric-descriptors.js';
import { ListPodSandboxMetrics } from './rpc/list-pod-sandbox-metrics.js';
import { ListImages } from './rpc/list-images.js';
import { ImageStatus } from './rpc/image-status.js';
import { PullImage } from './rpc/pull-image.js';
import { RemoveImage } from './rpc/remove-image.js';
import { ImageFsInfo } from './rpc/image-fs-info.js';

export const RUNTIME_RPCS: Record<string, Rpc> = {
  Version, Status, UpdateRuntimeConfig, RuntimeConfig,
  RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, ListPodSandbox,
  CreateContainer, StartContainer, StopContainer, RemoveContainer, ListContainers, ContainerStatus, ExecSync, Exec, Attach, PortForward, ReopenContainerLog,
  ContainerStats, ListContainerStats, PodSandboxStats, ListPodSandboxStats, UpdateContainerResources, ListMetricDescriptors, ListPodSandboxMetrics,
};

export const IMAGE_RPCS: Record<string, Rpc> = { ListImages, ImageStatus, PullImage, RemoveImage, ImageFsInfo };

/** The streaming lists, each its List* one item per message. */
export const RUNTIME_STREAMS: Record<string, Streaming<CriContext>> = {
  StreamPodSandboxes: streamedList(ListPodSandbox, 'items', 'pod_sandboxes'),
  StreamContainers: streamedList(ListContainers, 'containers', 'containers'),
  StreamContainerStats: streamedList(ListContainerStats, 'stats', 'container_stats'),
  StreamPodSandboxStats: streamedList(ListPodSandboxStats, 'stats', 'pod_sandbox_stats'),
  StreamPodSandboxMetrics: streamedList(ListPodSandboxMetrics, 'pod_metrics', 'pod_sandbox_metrics'),
};

export const IMAGE_STREAMS: Record<string, Streaming<CriContext>> = { StreamImages: streamedList(ListImages, 'images', 'images') };
