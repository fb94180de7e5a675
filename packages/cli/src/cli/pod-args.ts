/**
 * The command line of `run` and `prepare`, rkt style:
 *   [POD FLAGS] IMAGE [APP FLAGS] [-- ARGS] [--- IMAGE [APP FLAGS] [-- ARGS]]...
 * Pod flags may come anywhere; app flags apply to the image before them;
 * `--` starts the app's arguments and `---` ends them.
 */
import { ISOLATOR, PodstageError, type Annotation, type Isolator, type Mount, type Volume } from '@podstage/contract';
import type { OptionSpec } from './command.js';
import { cpuIsolator, memoryIsolator, type AppRequest, type PodRequest } from '@podstage/runtime';

export const AUTHFILE_OPTION: OptionSpec = { type: 'string', valueName: 'FILE', description: 'registry credentials (Docker config.json format; default: $REGISTRY_AUTH_FILE, CONFIG/auth.json, ~/.docker/config.json)' };

export const POD_OPTIONS: Record<string, OptionSpec> = {
  'stage1-name': { type: 'string', valueName: 'NAME', description: 'built-in stage1 to run the pod with: host (the default), fly, runc or kvm (see podstage stage1 list)' },
  'stage1-path': { type: 'string', valueName: 'DIR', description: 'stage1 directory (holding stage1.json) to run the pod with' },
  'stage1-image': { type: 'string', valueName: 'NAME|DIR', description: 'stage1 by name or directory (the kubelet-era flag)' },
  net: { type: 'string', valueName: 'NET', description: "pod network: default (the podstage bridge network for host, runc and kvm; the host's network for fly), host, none (loopback only), or CNI networks NAME[,NAME...] (podstage: the default bridge; others from CONFIG/net.d or /etc/cni/net.d)" },
  port: { type: 'string', multiple: true, valueName: 'NAME:[HOSTIP:]HOSTPORT', description: "forward a host port to the app port NAME (rkt's --port; an image's ExposedPorts 8080/tcp is named 8080-tcp; CNI networks)" },
  publish: { type: 'string', short: 'p', multiple: true, valueName: '[HOSTIP:]HOSTPORT:PORT[/PROTO]', description: "forward a host port to the pod's PORT (CNI networks; podman's -p)" },
  hostname: { type: 'string', valueName: 'NAME', description: "the pod's host name (default podstage-<uuid>)" },
  dns: { type: 'string', multiple: true, valueName: 'IP|host', description: "a name server in the pod's /etc/resolv.conf; host: the host's resolv.conf (the default on CNI networks)" },
  'dns-search': { type: 'string', multiple: true, valueName: 'DOMAIN', description: 'a search domain in /etc/resolv.conf' },
  'dns-opt': { type: 'string', multiple: true, valueName: 'OPTION', description: 'a resolver option in /etc/resolv.conf (ndots:2, edns0…)' },
  'dns-domain': { type: 'string', valueName: 'DOMAIN', description: 'the domain line of /etc/resolv.conf' },
  'hosts-entry': { type: 'string', multiple: true, valueName: 'IP=HOSTNAME|host', description: "a line of the pod's /etc/hosts; host: the host's /etc/hosts" },
  interactive: { type: 'boolean', description: 'run the single app attached to this terminal' },
  'cgroup-parent': { type: 'string', valueName: 'PATH', description: "the cgroup the pod's cgroup is made in, e.g. /kubepods/burstable/pod<uid> (default: the pod's is podstage/<uuid>)" },
  runtime: { type: 'string', valueName: 'NAME', description: 'OCI runtime for --stage1-name=runc: runc (default) or crun (also the annotation podstage.io/oci-runtime)' },
  stdout: { type: 'string', valueName: 'MODE', description: "apps' stdout: stream (to this terminal and the app's log, default), log (CRI log file only) or null" },
  stderr: { type: 'string', valueName: 'MODE', description: "apps' stderr: stream, log or null (as --stdout)" },
  'pod-manifest': { type: 'string', valueName: 'FILE', description: 'run this pod manifest instead of images and flags' },
  'pull-policy': { type: 'string', valueName: 'POLICY', description: 'never: store only; new: fetch images not in the store (default); update: always check the registry' },
  authfile: AUTHFILE_OPTION,
  'uuid-file-save': { type: 'string', valueName: 'FILE', description: 'write the pod UUID to FILE' },
  volume: { type: 'string', multiple: true, valueName: 'SPEC', description: 'NAME,kind=host|empty,source=PATH[,readOnly=true] (pod), or HOST:PATH[:ro] (app shorthand)' },
  'set-env': { type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'environment variable (for every app before the first image, else for that app)' },
  annotation: { type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'pod annotation before the first image, else app annotation' },
  'insecure-options': { type: 'string', multiple: true, valueName: 'LIST', description: 'security features to turn off (see podstage --help)' },
};

export const APP_OPTIONS: Record<string, OptionSpec> = {
  name: { type: 'string', valueName: 'NAME', description: 'app name (default: from the image name)' },
  exec: { type: 'string', valueName: 'PATH', description: "command to run instead of the image's entrypoint and cmd" },
  user: { type: 'string', valueName: 'USER', description: 'user name or uid inside the app' },
  group: { type: 'string', valueName: 'GROUP', description: 'group name or gid inside the app' },
  'supplementary-gids': { type: 'string', valueName: 'GIDS', description: 'comma-separated extra gids' },
  'working-dir': { type: 'string', valueName: 'DIR', description: 'working directory inside the app' },
  mount: { type: 'string', multiple: true, valueName: 'SPEC', description: 'volume=NAME,target=PATH[,readOnly=true]' },
  'readonly-rootfs': { type: 'boolean', description: "mount the app's root filesystem read-only" },
  memory: { type: 'string', valueName: 'QUANTITY', description: 'memory limit, e.g. 128Mi (0: no limit)' },
  cpu: { type: 'string', valueName: 'QUANTITY', description: 'cpu limit, e.g. 500m' },
  'caps-retain': { type: 'string', valueName: 'CAPS', description: 'comma-separated capabilities to keep (replaces the default set)' },
  'caps-remove': { type: 'string', valueName: 'CAPS', description: 'comma-separated capabilities to remove from the default set' },
  seccomp: { type: 'string', valueName: 'SPEC', description: 'mode=retain|remove[,errno=ENAME],SYSCALL...' },
  'no-new-privileges': { type: 'boolean', description: 'set no_new_privs for the app' },
  'oom-score-adj': { type: 'string', valueName: 'N', description: 'oom_score_adj for the app (-1000..1000)' },
  'set-env': POD_OPTIONS['set-env'] as OptionSpec,
  annotation: POD_OPTIONS.annotation as OptionSpec,
  volume: POD_OPTIONS.volume as OptionSpec,
};

export interface PodArgs {
  request: PodRequest;
  flags: Record<string, string | boolean | string[]>;
}

const usage = (msg: string) => new PodstageError('ERR_PODSTAGE_USAGE', msg);

function keyValue(flag: string, v: string): [string, string] {
  const eq = v.indexOf('=');
  if (eq <= 0) throw usage(`--${flag}: expected NAME=VALUE, got ${JSON.stringify(v)}`);
  return [v.slice(0, eq), v.slice(eq + 1)];
}

/** "a=b,c=d" → {a: b, c: d}; bare words collect under "". */
function fields(flag: string, v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) out[''] = out[''] === undefined ? part : `${out['']},${part}`;
    else out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  if (Object.keys(out).length === 0) throw usage(`--${flag}: empty value`);
  return out;
}

const bool = (flag: string, v: string | undefined) => {
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw usage(`--${flag}: readOnly must be true or false, got ${JSON.stringify(v)}`);
};

export function parseVolume(spec: string): Volume {
  const f = fields('volume', spec);
  const name = f[''];
  if (name === undefined || f.kind === undefined) throw usage(`--volume: expected NAME,kind=host|empty,..., got ${JSON.stringify(spec)}`);
  if (f.kind !== 'host' && f.kind !== 'empty') throw usage(`--volume ${name}: kind must be host or empty, got ${JSON.stringify(f.kind)}`);
  const v: Volume = { name, kind: f.kind };
  if (f.source !== undefined) v.source = f.source;
  if (f.readOnly !== undefined) v.readOnly = bool('volume', f.readOnly);
  if (f.mode !== undefined) v.mode = f.mode;
  if (f.uid !== undefined) v.uid = Number(f.uid);
  if (f.gid !== undefined) v.gid = Number(f.gid);
  return v;
}

export function parseMount(spec: string): Mount {
  const f = fields('mount', spec);
  if (f.volume === undefined || f.target === undefined) throw usage(`--mount: expected volume=NAME,target=PATH, got ${JSON.stringify(spec)}`);
  const m: Mount = { volume: f.volume, path: f.target };
  if (f.readOnly !== undefined) m.readOnly = bool('mount', f.readOnly);
  return m;
}

function parseSeccomp(spec: string): Isolator {
  const f = fields('seccomp', spec);
  const set = (f[''] ?? '').split(',').filter(Boolean);
  if (f.mode !== 'retain' && f.mode !== 'remove') throw usage(`--seccomp: mode must be retain or remove, got ${JSON.stringify(f.mode)}`);
  const value: { set: string[]; errno?: string } = { set };
  if (f.errno !== undefined) value.errno = f.errno;
  return { name: f.mode === 'retain' ? ISOLATOR.seccompRetain : ISOLATOR.seccompRemove, value };
}

function newApp(image: string): AppRequest {
  return { image, env: {}, mounts: [], isolators: [], annotations: [], origins: {} };
}

const flagText = (flag: string, value: string) => `--${flag}=${value}`;

function addVolume(pod: PodRequest, v: Volume, flag: string): void {
  pod.volumes.push(v);
  pod.origins[`volumes[${v.name}]`] = flag;
}

function addMount(app: AppRequest, m: Mount, flag: string): void {
  app.origins[`mounts[${app.mounts.length}]`] = flag;
  app.mounts.push(m);
}

interface Pending { hostVolumeCount: number }

function applyAppOption(app: AppRequest, flag: string, value: string | true, pod: PodRequest, pending: Pending): void {
  const str = () => {
    if (value === true) throw usage(`--${flag} needs a value`);
    return value;
  };
  const typed = () => flagText(flag, str());
  switch (flag) {
    case 'name': app.name = str(); break;
    case 'exec': app.exec = str(); break;
    case 'user': app.user = str(); app.origins['app.user'] = typed(); break;
    case 'group': app.group = str(); app.origins['app.group'] = typed(); break;
    case 'supplementary-gids': app.supplementaryGids = str().split(',').map((g) => {
      if (!/^[0-9]+$/.test(g)) throw usage(`--supplementary-gids: ${JSON.stringify(g)} is not a gid`);
      return Number(g);
    }); break;
    case 'working-dir': app.workingDir = str(); break;
    case 'mount': addMount(app, parseMount(str()), typed()); break;
    case 'readonly-rootfs': app.readOnlyRootFS = true; break;
    case 'memory': app.isolators.push(memoryIsolator(str())); break;
    case 'cpu': app.isolators.push(cpuIsolator(str())); break;
    case 'caps-retain': app.isolators.push({ name: ISOLATOR.capsRetain, value: { set: str().split(',') } }); break;
    case 'caps-remove': app.isolators.push({ name: ISOLATOR.capsRemove, value: { set: str().split(',') } }); break;
    case 'seccomp':
      app.origins[`app.isolators[${app.isolators.length}]`] = typed();
      app.isolators.push(parseSeccomp(str()));
      break;
    case 'no-new-privileges': app.isolators.push({ name: ISOLATOR.noNewPrivileges, value: true }); break;
    case 'oom-score-adj': {
      const n = Number(str());
      if (!Number.isInteger(n)) throw usage(`--oom-score-adj: expected an integer, got ${JSON.stringify(value)}`);
      app.isolators.push({ name: ISOLATOR.oomScoreAdj, value: n });
      break;
    }
    case 'set-env': { const [k, v] = keyValue(flag, str()); app.env[k] = v; break; }
    case 'annotation': { const [k, v] = keyValue(flag, str()); app.annotations.push({ name: k, value: v }); break; }
    case 'volume': {
      const spec = str();
      if (!spec.startsWith('/')) { addVolume(pod, parseVolume(spec), typed()); break; }
      // HOST:PATH[:ro] shorthand (podman/docker): a host volume plus this app's mount.
      const [source, target, mode] = spec.split(':');
      if (!source || !target || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) throw usage(`--volume: expected HOST:PATH[:ro], got ${JSON.stringify(spec)}`);
      const name = `vol-${++pending.hostVolumeCount}`;
      addVolume(pod, { name, kind: 'host', source, ...(mode === 'ro' ? { readOnly: true } : {}) }, typed());
      addMount(app, { volume: name, path: target, ...(mode === 'ro' ? { readOnly: true } : {}) }, typed());
      break;
    }
  }
}

function applyPodOption(req: PodRequest, flags: PodArgs['flags'], flag: string, spec: OptionSpec, value: string | true): void {
  if (spec.type === 'string' && value === true) throw usage(`--${flag} needs a value`);
  if (flag === 'volume') addVolume(req, parseVolume(value as string), flagText(flag, value as string));
  else if (flag === 'set-env') { const [k, v] = keyValue(flag, value as string); req.env[k] = v; }
  else if (flag === 'annotation') { const [k, v] = keyValue(flag, value as string); req.annotations.push({ name: k, value: v } as Annotation); }
  else if (spec.multiple) flags[flag] = [...((flags[flag] as string[] | undefined) ?? []), value as string];
  else flags[flag] = value;
}

export function parsePodArgs(argv: string[], extraPodOptions: Record<string, OptionSpec> = {}): PodArgs {
  const podOptions = { ...POD_OPTIONS, ...extraPodOptions };
  const request: PodRequest = { apps: [], volumes: [], annotations: [], isolators: [], env: {}, origins: {} };
  const flags: PodArgs['flags'] = {};
  const pending: Pending = { hostVolumeCount: 0 };
  let app: AppRequest | undefined;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] as string;
    if (tok === '---') { app = undefined; continue; }
    if (tok === '--') {
      if (app === undefined) throw usage('-- must follow an image: podstage run IMAGE -- COMMAND [ARGS]');
      const end = argv.indexOf('---', i + 1);
      app.args = argv.slice(i + 1, end < 0 ? argv.length : end);
      i = end < 0 ? argv.length : end - 1;
      continue;
    }
    if (!tok.startsWith('-') || tok === '-') {
      app = newApp(tok);
      request.apps.push(app);
      continue;
    }
    const short = /^-([a-zA-Z])$/.exec(tok)?.[1];
    const long = short === undefined ? tok : `--${Object.keys(podOptions).find((k) => podOptions[k]?.short === short) ?? short}`;
    const eq = long.indexOf('=');
    const flag = long.slice(2, eq < 0 ? undefined : eq);
    // Flags known at both levels (volume, set-env, annotation) belong to the app once an image is named.
    const perApp = APP_OPTIONS[flag] !== undefined && (podOptions[flag] === undefined || app !== undefined);
    const spec = perApp ? APP_OPTIONS[flag] : podOptions[flag];
    if (!long.startsWith('--') || spec === undefined) throw usage(`unknown flag ${tok.split('=')[0]}; see podstage run --help`);
    let value: string | true = true;
    if (eq >= 0) value = long.slice(eq + 1);
    else if (spec.type === 'string') {
      const next = argv[++i];
      if (next === undefined) throw usage(`--${flag} needs a value`);
      value = next;
    }
    if (perApp) {
      if (app === undefined) throw usage(`--${flag} is an app flag: put it after the image it applies to`);
      applyAppOption(app, flag, value, request, pending);
    } else applyPodOption(request, flags, flag, spec, value);
  }
  return { request, flags };
}
