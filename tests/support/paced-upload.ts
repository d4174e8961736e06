/**
 * POSTs a large body in small writes, one every 10 ms, and stops writing as soon as the answer
 * arrives, so `sent` says how far the upload had got when the server answered (the kernel's socket
 * buffers would swallow megabytes at once; only pacing shows it). A server that read the whole body
 * before refusing it could only answer once `sent` is the whole size.
 */
import http from "node:http";

export interface PacedUpload {
  status: number;
  code: string | undefined;
  connection: string | undefined;
  /** Bytes of the body written to the socket when the answer arrived. */
  sent: number;
}

export function pacedUpload(
  url: string,
  { total, headers, piece }: { total: number; headers: Record<string, string>; piece: Buffer },
): Promise<PacedUpload> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", headers });
    let sent = 0;
    let answered = false;
    request.on("response", (response) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      response.on("end", () => {
        const code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
        resolve({ status: response.statusCode!, code, connection: response.headers.connection, sent: sentWhenAnswered });
        request.destroy();
      });
    });
    // The server closes the connection after its answer; the rest of the upload then fails, as it should.
    request.on("error", (error) => {
      if (!answered) reject(error);
    });
    const writeNext = () => {
      if (answered || request.destroyed) return;
      if (sent >= total) return void request.end();
      sent += piece.byteLength;
      if (request.write(piece)) setTimeout(writeNext, 10);
      else request.once("drain", () => setTimeout(writeNext, 10));
    };
    writeNext();
  });
}
