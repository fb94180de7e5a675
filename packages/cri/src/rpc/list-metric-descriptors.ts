import { metricDescriptors } from '../metrics.js';
import type { Rpc } from './types.js';

/** What ListPodSandboxMetrics reports: cAdvisor's names and labels. */
export const ListMetricDescriptors: Rpc = async () => ({ descriptors: metricDescriptors() });
