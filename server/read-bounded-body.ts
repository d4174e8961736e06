/**
 * Reads a body as UTF-8 text, but never more than `limit` bytes, whatever Content-Length claims (it
 * may be absent or lie): past the limit the stream is cancelled and the answer is undefined. One
 * reader for every body Kiln takes in, the browser's requests and the providers' answers alike.
 */
export async function readBoundedBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string | undefined> {
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
