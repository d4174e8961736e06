import { describe, expect, it } from "vitest";
import { isCrossSiteRequest } from "./cross-site";

const headers = (init: Record<string, string>) => new Headers({ host: "kiln.example.com", ...init });

describe("isCrossSiteRequest", () => {
  it("refuses what the browser marks cross-site or same-site (another origin)", () => {
    expect(isCrossSiteRequest(headers({ "sec-fetch-site": "cross-site" }))).toBe(true);
    expect(isCrossSiteRequest(headers({ "sec-fetch-site": "same-site" }))).toBe(true);
  });

  it("allows the app's own pages and direct navigation", () => {
    expect(isCrossSiteRequest(headers({ "sec-fetch-site": "same-origin", origin: "https://kiln.example.com" }))).toBe(false);
    expect(isCrossSiteRequest(headers({ "sec-fetch-site": "none" }))).toBe(false);
  });

  it("without Sec-Fetch-Site, compares the Origin with the Host", () => {
    expect(isCrossSiteRequest(headers({ origin: "https://kiln.example.com" }))).toBe(false);
    expect(isCrossSiteRequest(headers({ origin: "https://evil.example" }))).toBe(true);
    expect(isCrossSiteRequest(headers({ origin: "null" }))).toBe(true);
    expect(isCrossSiteRequest(headers({ origin: "not a url" }))).toBe(true);
  });

  it("allows requests that carry neither header (curl, server to server)", () => {
    expect(isCrossSiteRequest(headers({}))).toBe(false);
  });

  it("trusts X-Forwarded-Host only when told to (behind a proxy that rewrites Host)", () => {
    const behindProxy = new Headers({
      host: "10.0.0.5:3000",
      "x-forwarded-host": "kiln.example.com",
      origin: "https://kiln.example.com",
    });
    expect(isCrossSiteRequest(behindProxy)).toBe(true);
    expect(isCrossSiteRequest(behindProxy, { trustProxy: true })).toBe(false);
  });
});
