/**
 * The signature gate of a registry pull: a valid cosign-convention signature
 * (tag sha256-<hex>.sig) by a key trusted for the image's repository, checked
 * before any layer is downloaded. See trust/README.md.
 */
import type { VerifyContext } from '../registry/pull.js';

export async function verifySignatures(ctx: VerifyContext, configDir: string, log?: (line: string) => void): Promise<void> {
  const { Keystore, verifyImageSignatures } = await import('../trust/index.js');
  const dockerReference = `${ctx.reference.registry}/${ctx.reference.repository}`;
  const keys = await new Keystore(configDir).keysFor(dockerReference);
  // cosign signs the digest the user named: the index for a multi-platform tag.
  const digests = ctx.indexDigest === undefined ? [ctx.manifestDigest] : [ctx.indexDigest, ctx.manifestDigest];
  let firstError: unknown;
  for (const digest of digests) {
    try {
      const signatures = await ctx.client.listSignatureArtifacts(ctx.reference, digest);
      const by = await verifyImageSignatures({ imageName: ctx.reference.name, dockerReference, manifestDigest: digest, signatures, keys });
      log?.(`signature of ${ctx.reference.name} (${digest}) verified: ${by.kind} key ${by.fingerprint}`);
      return;
    } catch (err) {
      firstError ??= err;
    }
  }
  throw firstError;
}
