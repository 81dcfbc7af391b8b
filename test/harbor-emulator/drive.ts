import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { HarborEmulator } from "./server";

type Props = Record<string, unknown>;

/** Runs a provider the way the engine does: check, then create/diff/update/read/delete. */
export function driver(provider: dynamic.ResourceProvider) {
  const check = async (news: Props, olds: Props = {}): Promise<Props> => {
    const r = await provider.check!(olds, news);
    if (r.failures?.length) throw new Error(`check failed: ${r.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    return r.inputs as Props;
  };
  return {
    check,
    async failures(news: Props) {
      return (await provider.check!({}, news)).failures ?? [];
    },
    async create(news: Props) {
      const inputs = await check(news);
      const r = await provider.create(inputs);
      return { id: r.id, outs: r.outs as Props, inputs };
    },
    async diff(id: string, olds: Props, news: Props) {
      return provider.diff!(id, olds, await check(news, olds));
    },
    async update(id: string, olds: Props, news: Props) {
      const inputs = await check(news, olds);
      return (await provider.update!(id, olds, inputs)).outs as Props;
    },
    async read(id: string, props: Props) {
      return provider.read!(id, props);
    },
    async delete(id: string, props: Props) {
      await provider.delete!(id, props);
    },
  };
}

export function conn(emu: HarborEmulator) {
  return { harborUrl: emu.url, harborUsername: emu.username, harborPassword: emu.password };
}
