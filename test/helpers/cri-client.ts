/**
 * A minimal CRI ImageService client (the calls the kubelet makes to pull an image), over gRPC on
 * a unix socket, with Node's own http2 and a hand-written protobuf encoding of the few messages it
 * needs. No crictl in Debian bookworm, and no npm dependency.
 *
 * Messages and field numbers: k8s.io/cri-api/pkg/apis/runtime/v1/api.proto as vendored by
 * containerd v1.6.20 (vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto):
 *   ImageSpec          { string image = 1; }
 *   AuthConfig         { string username = 1; string password = 2; }
 *   PullImageRequest   { ImageSpec image = 1; AuthConfig auth = 2; }
 *   PullImageResponse  { string image_ref = 1; }
 *   ImageStatusRequest { ImageSpec image = 1; bool verbose = 2; }
 *   ImageStatusResponse{ Image image = 1; }
 *   Image              { string id = 1; repeated string repo_tags = 2; repeated string repo_digests = 3; }
 *   RemoveImageRequest { ImageSpec image = 1; }
 * gRPC over HTTP/2: grpc/doc/PROTOCOL-HTTP2.md (5-byte message prefix, status in trailers).
 */
import * as http2 from "node:http2";
import * as net from "node:net";

// ---- protobuf wire format (varint + length-delimited only) ----------------------------------
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return Buffer.from(out);
}
const bytesField = (no: number, data: Buffer): Buffer => Buffer.concat([varint((no << 3) | 2), varint(data.length), data]);
const stringField = (no: number, s: string): Buffer => bytesField(no, Buffer.from(s, "utf8"));

/** Fields of one message: number -> list of raw values (Buffer for length-delimited, number for varint). */
export function decodeMessage(buf: Buffer): Map<number, (Buffer | number)[]> {
  const fields = new Map<number, (Buffer | number)[]>();
  let i = 0;
  const readVarint = (): number => {
    let result = 0;
    let mul = 1;
    for (let n = 0; n < 10; n++) {
      const b = buf[i++];
      if (b === undefined) throw new Error("protobuf: truncated varint");
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error("protobuf: varint too long");
  };
  while (i < buf.length) {
    const tag = readVarint();
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    let value: Buffer | number;
    if (wire === 0) value = readVarint();
    else if (wire === 2) {
      const len = readVarint();
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 1) {
      value = Number(buf.readBigUInt64LE(i));
      i += 8;
    } else if (wire === 5) {
      value = buf.readUInt32LE(i);
      i += 4;
    } else throw new Error(`protobuf: unsupported wire type ${wire}`);
    fields.set(no, [...(fields.get(no) ?? []), value]);
  }
  return fields;
}
const strings = (m: Map<number, (Buffer | number)[]>, no: number): string[] => (m.get(no) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v)).map((b) => b.toString("utf8"));

// ---- gRPC unary call ---------------------------------------------------------------------------
export class CriError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CriImageClient {
  /** PullImage; resolves with image_ref (the image id containerd records). */
  pull(image: string, opts?: { auth?: { username: string; password: string }; timeoutMs?: number }): Promise<string>;
  /** ImageStatus: undefined when the image is not present. */
  status(image: string): Promise<{ id: string; repoTags: string[]; repoDigests: string[] } | undefined>;
  remove(image: string): Promise<void>;
  close(): void;
}

export function criImageClient(socket: string): CriImageClient {
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(socket) });
  session.on("error", () => undefined); // surfaced per call
  const call = (method: string, body: Buffer, timeoutMs: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": `/runtime.v1.ImageService/${method}`,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": `${Math.max(1, Math.floor(timeoutMs))}m`,
      });
      const timer = setTimeout(() => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        reject(new CriError(4, `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs + 1000);
      const chunks: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      req.on("response", (h) => (headers = h));
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("trailers", (t) => (headers = { ...headers, ...t }));
      req.on("error", (e) => (clearTimeout(timer), reject(e)));
      req.on("end", () => {
        clearTimeout(timer);
        const status = Number(headers["grpc-status"] ?? 2);
        if (status !== 0) return reject(new CriError(status, `${method}: ${decodeURIComponent(String(headers["grpc-message"] ?? `grpc-status ${status}`))}`));
        const data = Buffer.concat(chunks);
        if (data.length < 5) return resolve(Buffer.alloc(0));
        if (data[0] !== 0) return reject(new Error(`${method}: compressed gRPC message not supported`));
        resolve(data.subarray(5, 5 + data.readUInt32BE(1)));
      });
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(body.length, 1);
      req.end(Buffer.concat([prefix, body]));
    });
  const spec = (image: string) => bytesField(1, stringField(1, image));
  return {
    async pull(image, opts = {}) {
      const auth = opts.auth ? bytesField(2, Buffer.concat([stringField(1, opts.auth.username), stringField(2, opts.auth.password)])) : Buffer.alloc(0);
      const res = decodeMessage(await call("PullImage", Buffer.concat([spec(image), auth]), opts.timeoutMs ?? 60_000));
      return strings(res, 1)[0] ?? "";
    },
    async status(image) {
      const res = decodeMessage(await call("ImageStatus", spec(image), 10_000));
      const img = res.get(1)?.[0];
      if (!Buffer.isBuffer(img)) return undefined;
      const m = decodeMessage(img);
      return { id: strings(m, 1)[0] ?? "", repoTags: strings(m, 2), repoDigests: strings(m, 3) };
    },
    async remove(image) {
      await call("RemoveImage", spec(image), 10_000);
    },
    close: () => session.close(),
  };
}
