/**
 * Uploads a prompt's images to its chat (`POST /api/chats/:id/images`, one request per image, the
 * file itself as the body) before the prompt is sent with their ids. Stops at the first refusal and
 * says it in the server's words.
 */
import type { UploadedImage } from "../../machines/images";

export type UploadResult = { ok: true; ids: string[] } | { ok: false; code?: string; message: string };

export async function uploadImages(chatId: string, files: File[], fetcher: typeof fetch = fetch): Promise<UploadResult> {
  const ids: string[] = [];
  for (const file of files) {
    let response: Response;
    try {
      response = await fetcher(`/api/chats/${encodeURIComponent(chatId)}/images`, {
        method: "POST",
        headers: { "Content-Type": file.type },
        body: file,
      });
    } catch {
      return { ok: false, message: "Kiln's server could not be reached; the image was not attached." };
    }
    const body = (await response.json().catch(() => undefined)) as
      Partial<UploadedImage> | { error?: { code?: string; message?: string } } | undefined;
    if (!response.ok || !body || !("id" in body) || typeof body.id !== "string") {
      const error = body && "error" in body ? body.error : undefined;
      const name = file.name ? `“${file.name}”` : "The image";
      return {
        ok: false,
        ...(error?.code ? { code: error.code } : {}),
        message: error?.message
          ? `${name}: ${error.message}`
          : `${name} was not attached: Kiln's server answered ${response.status}.`,
      };
    }
    ids.push(body.id);
  }
  return { ok: true, ids };
}
