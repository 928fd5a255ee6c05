/**
 * Which proxy, if any, a request to an API server goes through: the rules kubectl follows
 * (client-go, on Go's net/http), so that a machine set up for kubectl works unchanged.
 *
 * - A cluster's `proxy-url` in the kubeconfig wins: every request to that cluster goes
 *   through it, whatever the environment says (NO_PROXY and loopback included). Its scheme
 *   must be `http`, `https` or `socks5`.
 * - Otherwise the environment, read as Go's `http.ProxyFromEnvironment` reads it:
 *   `HTTPS_PROXY` for an `https://` server and `HTTP_PROXY` for an `http://` one (each
 *   upper case first, then lower case; an empty value counts as unset), a value without a
 *   scheme taken as `http://`, and no proxy for:
 *   - `localhost` and loopback addresses (127.0.0.0/8, ::1), always;
 *   - hosts that `NO_PROXY` (then `no_proxy`) lists: comma-separated entries, `*` for
 *     every host, an IP address or a CIDR block (matched against IP addresses only), a
 *     domain (`example.com` matches it and its subdomains, `.example.com` and
 *     `*.example.com` only subdomains), each optionally with a `:port` that must match.
 *   - `HTTP_PROXY` is refused when REQUEST_METHOD is set (a CGI process, where a client
 *     could set it through a `Proxy:` header), as Go refuses it.
 *
 * Pure: the caller passes the environment. Nothing here prints a proxy's credentials:
 * `shown` is the proxy URL without them.
 */

import { domainToASCII } from 'node:url';

/** A proxy a cluster's requests go through. */
export interface ClusterProxy {
  scheme: 'http' | 'https' | 'socks5';
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** From the URL's user information, percent-decoded. */
  credentials?: { user: string; password: string };
  /** The proxy URL without credentials, for messages: `http://proxy.corp:3128`. */
  shown: string;
  /** Where it was set: `HTTPS_PROXY`, `https_proxy`, `HTTP_PROXY`, ... or `proxy-url`. */
  source: string;
}

/** The proxy settings of the environment (tests pass their own). */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

/** A proxy setting that cannot be used; `message` never quotes the value (it may hold a password). */
export class ProxySettingError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ProxySettingError';
  }
}

/** Default ports by proxy scheme, as Go fills them in. */
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, socks5: 1080 };

/**
 * The proxy for requests to `server` (an `https://` or `http://` URL), or undefined for a
 * direct connection. `proxyUrl` is the cluster's kubeconfig `proxy-url`.
 */
export function chooseProxy(
  server: string,
  proxyUrl: string | undefined,
  env: ProxyEnvironment,
): ClusterProxy | undefined {
  if (proxyUrl !== undefined && proxyUrl !== '') return parseKubeconfigProxy(proxyUrl);
  return proxyFromEnvironment(new URL(server), env);
}

/** `proxy-url` as client-go reads it: a full URL whose scheme is http, https or socks5. */
function parseKubeconfigProxy(text: string): ClusterProxy {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProxySettingError(
      'the cluster\'s proxy-url is not a URL (expected e.g. "http://proxy.example.com:3128")',
      'Fix proxy-url in the kubeconfig: scheme, host and port, with an optional user:password@.',
    );
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'socks5')
    throw new ProxySettingError(
      `the cluster's proxy-url has the scheme "${scheme}"; kubectl and mr-drift support http, https and socks5`,
      'Fix proxy-url in the kubeconfig.',
    );
  return proxyOf(url, scheme, 'proxy-url');
}

function proxyFromEnvironment(server: URL, env: ProxyEnvironment): ClusterProxy | undefined {
  const https = server.protocol === 'https:';
  const [name, value] = firstSet(
    env,
    https ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy'],
  );
  if (value === undefined) return undefined;
  // As Go: a value that is not a URL is tried with http:// in front, and one that still
  // does not parse is ignored (the request goes direct, as kubectl's would).
  const url = parseLoose(value);
  if (!url) return undefined;
  if (!https && env.REQUEST_METHOD)
    throw new ProxySettingError(
      `${name} is refused in a CGI process (REQUEST_METHOD is set), as Go refuses it there`,
      'Unset REQUEST_METHOD, or set proxy-url on the cluster in the kubeconfig.',
    );
  const port = server.port || (https ? '443' : '80');
  if (!useProxy(hostOf(server), port, firstSet(env, ['NO_PROXY', 'no_proxy'])[1] ?? ''))
    return undefined;
  let scheme = url.protocol.slice(0, -1);
  // Go treats socks5h as socks5: both let the proxy resolve the server's name.
  if (scheme === 'socks5h') scheme = 'socks5';
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'socks5')
    throw new ProxySettingError(
      `${name} names a proxy with the scheme "${scheme}"; mr-drift supports http, https, socks5 and socks5h proxies`,
      `Fix ${name}, or list the cluster's host in NO_PROXY to connect directly.`,
    );
  return proxyOf(url, scheme, name!);
}

function firstSet(
  env: ProxyEnvironment,
  names: string[],
): [string | undefined, string | undefined] {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return [n, v];
  }
  return [undefined, undefined];
}

function parseLoose(value: string): URL | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== ':' && url.host !== '') return url;
  } catch {
    // Not a URL as it stands: try it as host[:port] below.
  }
  try {
    return new URL(`http://${value}`);
  } catch {
    return undefined;
  }
}

function proxyOf(url: URL, scheme: ClusterProxy['scheme'], source: string): ClusterProxy {
  const host = hostOf(url);
  if (host === '')
    throw new ProxySettingError(
      `the proxy in ${source === 'proxy-url' ? "the cluster's proxy-url" : source} names no host`,
      `Fix ${source === 'proxy-url' ? 'proxy-url in the kubeconfig' : source}: e.g. http://proxy.example.com:3128.`,
    );
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    scheme,
    host,
    port,
    ...(url.username !== '' || url.password !== ''
      ? {
          credentials: {
            user: decodeURIComponent(url.username),
            password: decodeURIComponent(url.password),
          },
        }
      : {}),
    shown: `${scheme}://${shownHost}:${port}`,
    source,
  };
}

/** The URL's host, lower case, IPv6 without brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * False when a request to `host:port` goes direct: loopback, or listed in `noProxy`. The
 * matching follows golang.org/x/net/http/httpproxy (config.useProxy and its matchers).
 */
export function useProxy(host: string, port: string, noProxy: string): boolean {
  if (host === 'localhost') return false;
  const ip = parseIp(host);
  if (ip && isLoopback(ip)) return false;
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return false;
    const cidr = parseCidr(entry);
    if (cidr) {
      if (ip && inCidr(ip, cidr)) return false;
      continue;
    }
    const split = splitHostPort(entry) ?? [entry, ''];
    const entryPort = split[1];
    let entryHost = split[0];
    if (entryHost.startsWith('[') && entryHost.endsWith(']')) entryHost = entryHost.slice(1, -1);
    const entryIp = parseIp(entryHost);
    if (entryIp) {
      if (ip && sameIp(ip, entryIp) && (entryPort === '' || entryPort === port)) return false;
      continue;
    }
    if (entryHost === '') continue;
    // Domains match names only, never IP addresses.
    if (ip) continue;
    if (entryHost.startsWith('*.')) entryHost = entryHost.slice(1);
    // Non-ASCII names compare in their ASCII (punycode) form, as the URL's host is.
    if ([...entryHost].some((ch) => ch.charCodeAt(0) > 0x7f))
      entryHost = domainToASCII(entryHost) || entryHost;
    const matchesItself = !entryHost.startsWith('.');
    const suffix = matchesItself ? `.${entryHost}` : entryHost;
    if (
      (host.endsWith(suffix) || (matchesItself && host === suffix.slice(1))) &&
      (entryPort === '' || entryPort === port)
    )
      return false;
  }
  return true;
}

/**
 * `host:port` or `[v6]:port` split as Go's net.SplitHostPort does; undefined when there is
 * no port (no colon) or too many colons for a host without brackets.
 */
function splitHostPort(s: string): [string, string] | undefined {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') return undefined;
    return [s.slice(1, end), s.slice(end + 2)];
  }
  const colon = s.lastIndexOf(':');
  if (colon < 0 || s.indexOf(':') !== colon) return undefined;
  return [s.slice(0, colon), s.slice(colon + 1)];
}

/** 4 bytes for IPv4 (IPv4-mapped IPv6 addresses too, as Go compares them), 16 for IPv6. */
type Ip = number[];

function parseIp(s: string): Ip | undefined {
  const v4 = parseIpv4(s);
  if (v4) return v4;
  const v6 = parseIpv6(s);
  if (!v6) return undefined;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

function parseIpv4(s: string): Ip | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    // Go refuses leading zeros (they once meant octal).
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    bytes.push(Number(p));
  }
  return bytes;
}

function parseIpv6(s: string): Ip | undefined {
  if (!s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function isLoopback(ip: Ip): boolean {
  if (ip.length === 4) return ip[0] === 127;
  return ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
}

function sameIp(a: Ip, b: Ip): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

interface Cidr {
  network: Ip;
  bits: number;
}

function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const address = s.slice(0, slash);
  const prefix = s.slice(slash + 1);
  // Go's ParseCIDR keeps an IPv4 block in IPv6 notation as IPv6 (16 bytes, "::ffff:a.b.c.d/n").
  const ip = parseIpv4(address) ?? parseIpv6(address);
  if (!ip || !/^\d+$/.test(prefix)) return undefined;
  const bits = Number(prefix);
  if (bits > ip.length * 8) return undefined;
  return { network: ip, bits };
}

function inCidr(ip: Ip, cidr: Cidr): boolean {
  const address = ip;
  let { bits } = cidr;
  let network = cidr.network;
  // Go's IPNet.Contains compares an IPv4 address with an IPv4-mapped block in 4 bytes.
  if (network.length === 16 && address.length === 4) {
    const mapped =
      network.slice(0, 10).every((b) => b === 0) && network[10] === 0xff && network[11] === 0xff;
    if (!mapped) return false;
    network = network.slice(12);
    bits = Math.max(0, bits - 96);
  }
  if (network.length !== address.length) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((network[i >> 3] & mask) !== (address[i >> 3] & mask)) return false;
  }
  return true;
}
