/**
 * Reads a body as UTF-8 text (readBoundedBytes: as bytes), but never more than `limit` bytes, whatever
 * Content-Length claims (it may be absent or lie): past the limit the answer is undefined and reading
 * stops. One reader for every body Kiln takes in, the browser's requests (an image upload too) and
 * the providers' answers alike.
 *
 * Past the limit the stream is cancelled (a provider's answer: the download is abandoned), unless
 * `cancel` is false. A request body must not be cancelled: Remix's request stream then destroys the
 * socket, and the 413 never reaches the client. Left unread, it stops pulling from the socket once
 * its small buffer is full (backpressure), and the refusal's `Connection: close` ends the socket
 * after the answer.
 */
export async function readBoundedBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  options: { cancel?: boolean } = {},
): Promise<string | undefined> {
  return (await readBoundedBytes(body, limit, options))?.toString("utf8");
}

/** The same bounded read, for a body that is not text (an uploaded image): its bytes as they came. */
export async function readBoundedBytes(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  { cancel = true }: { cancel?: boolean } = {},
): Promise<Buffer | undefined> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      if (cancel) await reader.cancel();
      else reader.releaseLock();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
