/**
 * For a model that cannot read images: KILN_VISION_MODEL looks at the prompt's images first and
 * describes them in words, and that description goes into the prompt instead (as LlamaCoder does it).
 * One request to the vision model, through the same stream reader as every answer, so its first-byte
 * and idle timeouts and its error codes are the ones of docs/errors.md.
 */
import type { KilnConfig } from "../config.server";
import type { MessageImage } from "../context-builder";
import { ProviderError, type ProviderErrorCode } from "../providers/errors.server";
import type { ProviderFactory } from "../providers/factory.server";
import {
  streamCompletion as defaultStreamCompletion,
  type StreamCompletionOptions,
  type UpstreamEvent,
} from "../providers/stream-reader.server";

/** What the describer is told; the fake provider answers its fixed description to this prompt. */
export const DESCRIBE_SYSTEM_PROMPT = `Describe this UI screenshot so a developer can rebuild it as a React app with Tailwind CSS without seeing it. Cover, from top to bottom:
- the layout: the sections, columns and panels, their order, alignment and rough proportions;
- every component: navigation, buttons, inputs, cards, lists, tables, charts, icons, images, and the state each is in (selected, disabled, filled in);
- the colours of backgrounds, text, borders and accents (as hex codes where you can tell), and the typography: sizes, weights, fonts;
- spacing, borders, corner radii and shadows;
- all visible text, quoted exactly.
With several images, describe each in turn. Describe only what is visible: no code, no guesses about what is off screen.`;

/** The longest description asked for: a thorough one is a few hundred words; the app's prompt must leave room for the answer. */
export const DESCRIPTION_MAX_TOKENS = 2_000;

export const MODEL_CANNOT_SEE = "model_cannot_see";
export const MODEL_CANNOT_SEE_MESSAGE = "This model cannot read images; choose a vision model or set KILN_VISION_MODEL.";

export type DescribeResult =
  | { ok: true; description: string }
  | { ok: false; code: ProviderErrorCode | "unknown_model" | "provider_not_configured"; message: string; retryable: boolean };

export interface DescribeImagesOptions {
  providers: ProviderFactory;
  /** KILN_VISION_MODEL. */
  visionModel: string;
  images: MessageImage[];
  /** The user's request, so the description dwells on what it asks about. */
  prompt: string;
  /** The browser left or pressed Stop: the request is aborted, and the abort rethrown. */
  signal: AbortSignal;
  settings: Pick<KilnConfig, "firstByteTimeoutMs" | "idleTimeoutMs">;
  /** Injected in tests. */
  streamCompletion?: (options: StreamCompletionOptions) => AsyncIterable<UpstreamEvent>;
}

/** Asks the vision model to describe the images; the description, or the failure as a provider error code. */
export async function describeImages(options: DescribeImagesOptions): Promise<DescribeResult> {
  const resolved = options.providers.resolve(options.visionModel);
  if (!resolved.ok)
    return {
      ok: false,
      code: resolved.code,
      message: `Kiln could not describe the image: ${resolved.message}`,
      retryable: false,
    };
  const stream = options.streamCompletion ?? defaultStreamCompletion;
  let description = "";
  try {
    for await (const event of stream({
      target: resolved.value,
      messages: [
        { role: "system", content: DESCRIBE_SYSTEM_PROMPT },
        {
          role: "user",
          content: [
            { type: "text", text: `The user's request, for context: ${options.prompt}` },
            ...options.images.map((image) => ({ type: "image_url" as const, image_url: { url: image.dataUrl } })),
          ],
        },
      ],
      extraBody: { max_tokens: DESCRIPTION_MAX_TOKENS },
      signal: options.signal,
      firstByteTimeoutMs: options.settings.firstByteTimeoutMs,
      idleTimeoutMs: options.settings.idleTimeoutMs,
    })) {
      // The describer's reasoning, if it thinks aloud, is not part of the description.
      if (event.type === "delta") description += event.text;
    }
  } catch (error) {
    if (options.signal.aborted) throw error;
    const failure =
      error instanceof ProviderError
        ? error
        : new ProviderError("provider_unavailable", `${resolved.value.provider.label} failed unexpectedly.`, true);
    return {
      ok: false,
      code: failure.code,
      message: `Kiln could not describe the image: ${failure.message}`,
      retryable: failure.retryable,
    };
  }
  description = description.trim();
  if (!description) {
    return {
      ok: false,
      code: "provider_error",
      message: `Kiln could not describe the image: ${resolved.value.provider.label} answered with no description.`,
      retryable: true,
    };
  }
  return { ok: true, description };
}

/** The prompt a text-only model gets: the user's words, then what the images show. */
export function promptWithDescription(prompt: string, description: string, imageCount: number): string {
  const said =
    imageCount === 1
      ? "The user attached a screenshot. Its description:"
      : `The user attached ${imageCount} screenshots. Their description:`;
  return `${prompt}\n\n${said}\n${description}`;
}
