/**
 * The rate-limit key of a client address: the IPv4 address itself, or the /64 prefix of an IPv6
 * address (one client usually owns a whole /64, so per-address buckets would be free to multiply).
 * Pure.
 */
export function clientKey(ip: string): string {
  const address = ip.replace(/^::ffff:/i, "");
  if (!address.includes(":")) return address;
  // Groups before "::" are the leading ones; the rest of the first four are zeros.
  const leading = address.split("::")[0].split(":").filter(Boolean);
  const prefix = [...leading, "0", "0", "0", "0"].slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""));
  return `${prefix.join(":")}::/64`;
}
