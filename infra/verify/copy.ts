import type { RegistryClient } from "./registry-client";

interface Descriptor {
  digest: string;
  mediaType?: string;
}

interface ManifestBody {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

async function copyBlobs(src: RegistryClient, dst: RegistryClient, srcRepo: string, dstRepo: string, blobs: Descriptor[]): Promise<void> {
  for (const b of blobs) {
    if (await dst.blobExists(dstRepo, b.digest, `repository:${dstRepo}:pull,push`)) continue;
    await dst.pushBlob(dstRepo, b.digest, await src.blob(srcRepo, b.digest));
  }
}

/** Copy one manifest (and, for an index, every child manifest) with its blobs; returns pushes made. */
async function copyManifest(src: RegistryClient, dst: RegistryClient, srcRepo: string, dstRepo: string, ref: string, dstRef: string): Promise<void> {
  const m = await src.manifest(srcRepo, ref);
  if (!m) throw new Error(`${src.name}: ${srcRepo}:${ref} disappeared while repairing`);
  const body = JSON.parse(m.bytes.toString("utf8")) as ManifestBody;
  if (body.manifests) {
    for (const child of body.manifests) await copyManifest(src, dst, srcRepo, dstRepo, child.digest, child.digest);
  } else {
    await copyBlobs(src, dst, srcRepo, dstRepo, [...(body.config ? [body.config] : []), ...(body.layers ?? [])]);
  }
  // The exact bytes, so the backup's digest equals the source's.
  await dst.putManifest(dstRepo, dstRef, m.mediaType, m.bytes);
}

/**
 * Copy `srcRepo:tag` from the source registry to `dstRepo:tag` over the Registry API
 * (no Docker daemon), multi-arch indexes included.
 */
export async function copyImage(src: RegistryClient, dst: RegistryClient, srcRepo: string, dstRepo: string, tag: string): Promise<void> {
  await copyManifest(src, dst, srcRepo, dstRepo, tag, tag);
}

/** When the image was created, from its config (first platform of an index); undefined if unknown. */
export async function imageCreated(client: RegistryClient, repo: string, ref: string): Promise<Date | undefined> {
  const m = await client.manifest(repo, ref);
  if (!m) return undefined;
  const body = JSON.parse(m.bytes.toString("utf8")) as ManifestBody;
  if (body.manifests?.[0]) return imageCreated(client, repo, body.manifests[0].digest);
  if (!body.config) return undefined;
  const config = JSON.parse((await client.blob(repo, body.config.digest)).toString("utf8")) as { created?: string };
  const created = config.created ? new Date(config.created) : undefined;
  return created && !Number.isNaN(created.getTime()) ? created : undefined;
}
