/** The docker:// transport: references, registries.conf, credentials, the distribution client and pulls. */
export {
  apiHost,
  canonicalRegistry,
  DOCKER_HUB,
  DOCKER_HUB_API,
  DOCKER_TRANSPORT,
  formatReference,
  isDockerReference,
  manifestReference,
  parseDockerReference,
  type DockerReference,
} from './reference.js';
export { parseRegistriesConf, RegistriesConf, type RegistryEndpoint, type RegistryEntry, type RegistryMirror } from './registries-conf.js';
export {
  credentialFiles,
  CredentialStore,
  normalizeAuthKey,
  parseAuthFile,
  parseWwwAuthenticate,
  RegistryAuth,
  type Challenge,
  type CredentialSearch,
  type Credentials,
} from './auth.js';
export {
  createRegistryClient,
  describeEndpoint,
  RegistryClient,
  RegistryHttpError,
  SYSTEM_REGISTRIES_CONF,
  type BlobProgress,
  type InsecureOption,
  type PushTarget,
  type RegistryClientOptions,
  type ResolvedManifest,
  type SignatureArtifact,
} from './client.js';
export { pullImage, type PullOptions, type PullProgress, type PullProgressKind, type VerifyContext } from './pull.js';
