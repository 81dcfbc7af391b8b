import { z } from "zod";
import { archiveSchema, checkArchives } from "./archives";
import { backupSchema } from "./backups";
import { checkCollisions } from "./collisions";
import { harborSchema } from "./harbor";
import { observabilitySchema } from "./observability";
import { REPLICATION_DEFAULTS, replicationSchema } from "./replication";
import { regionSchema } from "./regions";

export const ENVIRONMENTS = ["local", "dev", "staging", "prod"] as const;

import { DOCKER_HUB_ENDPOINT } from "../../components/harbor/args";

export { DOCKER_HUB_ENDPOINT };

/** The whole topology: one object, validated before any resource is registered. */
export const topologySchema = z
  .strictObject({
    environment: z.enum(ENVIRONMENTS),
    /** Allow `insecure` (no TLS verification) toward upstreams outside loopback. */
    allowInsecureUpstreams: z.boolean().default(false),
    harbor: harborSchema,
    backups: z.array(backupSchema).default([]),
    replication: replicationSchema.default(REPLICATION_DEFAULTS),
    regions: z.array(regionSchema).default([]),
    archives: z.array(archiveSchema).default([]),
    /** Metrics, alerts and dashboard (infra/config/observability.ts, docs/observability.md). */
    observability: observabilitySchema,
  })
  .superRefine((cfg, ctx) => {
    checkCollisions(cfg, ctx);
    checkArchives(cfg, ctx);
    const seen = new Map<string, number>();
    cfg.backups.forEach((b, i) => {
      const first = seen.get(b.name);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["backups", i, "name"], message: `duplicate backup name "${b.name}" (also backups[${first}].name); names must be unique` });
      } else seen.set(b.name, i);
    });

    const regionNames = new Map<string, number>();
    const upstreams = new Set(["harbor", ...cfg.backups.map((b) => b.name)]);
    cfg.regions.forEach((r, i) => {
      const first = regionNames.get(r.name);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["regions", i, "name"], message: `duplicate region name "${r.name}" (also regions[${first}].name)` });
      } else regionNames.set(r.name, i);
      r.upstreamOrder?.forEach((u, j) => {
        if (!upstreams.has(u)) {
          ctx.addIssue({ code: "custom", path: ["regions", i, "upstreamOrder", j], message: `unknown upstream "${u}"; expected "harbor" or a backup name (${[...upstreams].join(", ")})` });
        }
      });
      if (new Set(r.runtimes).size !== r.runtimes.length) {
        ctx.addIssue({ code: "custom", path: ["regions", i, "runtimes"], message: "each runtime may be listed once" });
      }
      if (r.mirrorPortBase + upstreams.size > 65535) {
        ctx.addIssue({ code: "custom", path: ["regions", i, "mirrorPortBase"], message: `needs ${upstreams.size} consecutive ports; lower it` });
      }
    });

    const projects = new Map<string, number>();
    cfg.harbor.projects.forEach((p, i) => {
      const first = projects.get(p.name);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["harbor", "projects", i, "name"], message: `duplicate project "${p.name}" (also harbor.projects[${first}])` });
      } else projects.set(p.name, i);
    });

    const h = cfg.harbor;
    const hub = h.dockerHubProxyCache;
    if (hub && projects.has(hub.project)) {
      ctx.addIssue({ code: "custom", path: ["harbor", "dockerHubProxyCache", "project"], message: `"${hub.project}" is also a replicated project; a proxy cache needs a project of its own` });
    }
    if (hub) {
      cfg.backups.forEach((b, i) => {
        if (b.name === DOCKER_HUB_ENDPOINT) {
          ctx.addIssue({ code: "custom", path: ["backups", i, "name"], message: `"${DOCKER_HUB_ENDPOINT}" names Harbor's Docker Hub endpoint when dockerHubProxyCache is set; rename this backup` });
        }
      });
    }
    const ha = h.replicas.core > 1 || h.replicas.jobservice > 1 || h.replicas.registry > 1;
    if (ha && h.database.type !== "external") {
      ctx.addIssue({ code: "custom", path: ["harbor", "database", "type"], message: "HA replicas (core/jobservice/registry > 1) need an external database: the internal one is a single pod" });
    }
    if (ha && h.redis.type !== "external") {
      ctx.addIssue({ code: "custom", path: ["harbor", "redis", "type"], message: "HA replicas (core/jobservice/registry > 1) need an external Redis: the internal one is a single pod" });
    }
    if ((h.replicas.registry > 1 || h.replicas.jobservice > 1) && h.storage.registryAccessMode !== "ReadWriteMany") {
      ctx.addIssue({ code: "custom", path: ["harbor", "storage", "registryAccessMode"], message: "more than one registry/jobservice replica shares the image volume: expected ReadWriteMany" });
    }
    for (const key of ["database", "redis"] as const) {
      const ext = h[key];
      if (ext.type === "external" && !ext.passwordSecretName === !ext.password) {
        ctx.addIssue({ code: "custom", path: ["harbor", key, "passwordSecretName"], message: "expected exactly one of passwordSecretName (existing Secret) or password (Pulumi secret)" });
      }
    }
    if (h.expose.type === "ingress" && h.externalUrl?.startsWith("http://")) {
      ctx.addIssue({ code: "custom", path: ["harbor", "externalUrl"], message: "ingress exposure terminates TLS: expected an https:// URL" });
    }

    cfg.backups.forEach((b, i) => {
      if (b.kind === "acr" && b.geoReplicationLocations.length > 0 && b.sku !== "Premium") {
        ctx.addIssue({ code: "custom", path: ["backups", i, "geoReplicationLocations"], message: `geo-replication needs sku Premium, found ${b.sku}` });
      }
      if (b.kind === "acr" && b.geoReplicationLocations.includes(b.location)) {
        ctx.addIssue({ code: "custom", path: ["backups", i, "geoReplicationLocations"], message: `cannot replicate into the home region ${b.location}` });
      }
      if (b.kind === "oci" && b.insecure && !cfg.allowInsecureUpstreams) {
        ctx.addIssue({ code: "custom", path: ["backups", i, "insecure"], message: "TLS verification is off for this backup; set allowInsecureUpstreams: true to accept that" });
      }
    });
  });

export type TopologyConfig = z.infer<typeof topologySchema>;
/** Top-level Pulumi config keys (namespaced as `registry-topology:<key>`). */
export const CONFIG_KEYS = ["environment", "allowInsecureUpstreams", "harbor", "backups", "replication", "regions", "archives", "observability"] as const;
