/**
 * Which proxy a request to an API server takes, case by case: the rules of Go's
 * `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy) and client-go's
 * `proxy-url`, which kubectl follows. The unit tests check mr-drift's choice against
 * `expect`; an integration test runs real kubectl on every case through recording proxies
 * and checks that kubectl does the same, so the table cannot drift from kubectl unnoticed.
 *
 * Placeholders: `{proxy}` is an HTTP proxy URL, `{proxyHostPort}` the same without a
 * scheme, `{socks}` a SOCKS5 proxy URL, `{port}` a port of the case's own (so a recording
 * proxy can tell the cases apart by target).
 */
export interface ProxyCase {
  name: string;
  /** The cluster's server URL. */
  server: string;
  /** The cluster's `proxy-url` in the kubeconfig. */
  proxyUrl?: string;
  /** Environment variables (all others unset). */
  env: Record<string, string>;
  /**
   * `proxy`: through the HTTP proxy `{proxy}`; `socks`: through `{socks}`; `direct`: no
   * proxy; `error`: the setting is refused before any connection.
   */
  expect: 'proxy' | 'socks' | 'direct' | 'error';
  /** For `error`: what kubectl says. */
  kubectlSays?: RegExp;
}

const S = 'https://api.corp.example:{port}';

export const PROXY_CASES: ProxyCase[] = [
  // Which variable, for which server scheme.
  {
    name: 'HTTPS_PROXY, https server',
    server: S,
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'proxy',
  },
  { name: 'https_proxy (lower case)', server: S, env: { https_proxy: '{proxy}' }, expect: 'proxy' },
  {
    name: 'HTTPS_PROXY wins over https_proxy',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', https_proxy: 'http://127.0.0.1:9' },
    expect: 'proxy',
  },
  {
    name: 'an empty HTTPS_PROXY counts as unset',
    server: S,
    env: { HTTPS_PROXY: '', https_proxy: '{proxy}' },
    expect: 'proxy',
  },
  {
    name: 'HTTP_PROXY is not for https servers',
    server: S,
    env: { HTTP_PROXY: '{proxy}' },
    expect: 'direct',
  },
  {
    name: 'HTTP_PROXY, http server',
    server: 'http://api.corp.example:{port}',
    env: { HTTP_PROXY: '{proxy}' },
    expect: 'proxy',
  },
  {
    name: 'HTTPS_PROXY is not for http servers',
    server: 'http://api.corp.example:{port}',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'direct',
  },
  {
    name: 'a proxy without a scheme is an HTTP proxy',
    server: S,
    env: { HTTPS_PROXY: '{proxyHostPort}' },
    expect: 'proxy',
  },
  {
    name: 'a SOCKS5 proxy in HTTPS_PROXY',
    server: S,
    env: { HTTPS_PROXY: '{socks}' },
    expect: 'socks',
  },
  {
    name: 'socks5h in HTTPS_PROXY is SOCKS5',
    server: S,
    env: { HTTPS_PROXY: '{socksh}' },
    expect: 'socks',
  },
  // NO_PROXY: domains.
  {
    name: 'NO_PROXY=*',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '*' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY names the host',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: 'api.corp.example' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY names a parent domain',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: 'corp.example' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY matches whole labels only',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: 'orp.example' },
    expect: 'proxy',
  },
  {
    name: 'NO_PROXY .domain matches subdomains',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '.corp.example' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY .domain does not match the domain itself',
    server: 'https://corp.example:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '.corp.example' },
    expect: 'proxy',
  },
  {
    name: 'NO_PROXY *.domain matches subdomains',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '*.corp.example' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY *.domain does not match the domain itself',
    server: 'https://corp.example:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '*.corp.example' },
    expect: 'proxy',
  },
  {
    name: 'NO_PROXY entries are trimmed and case-insensitive',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: ' other.test ,  API.Corp.Example ' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY with the port',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: 'api.corp.example:{port}' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY with another port',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: 'api.corp.example:1' },
    expect: 'proxy',
  },
  {
    name: 'NO_PROXY port 443 for a server without a port',
    server: 'https://default-port.corp.example',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: 'default-port.corp.example:443' },
    expect: 'direct',
  },
  {
    name: 'a server without a port is proxied on 443',
    server: 'https://no-port.corp.example',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'proxy',
  },
  {
    name: 'no_proxy (lower case)',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', no_proxy: 'corp.example' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY wins over no_proxy',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: 'other.test', no_proxy: 'corp.example' },
    expect: 'proxy',
  },
  {
    name: 'a CIDR block never matches a name',
    server: S,
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '0.0.0.0/0' },
    expect: 'proxy',
  },
  // NO_PROXY: addresses.
  {
    name: 'an IP address server',
    server: 'https://192.0.2.2:{port}',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'proxy',
  },
  {
    name: 'NO_PROXY CIDR block containing the address',
    server: 'https://192.0.2.2:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '192.0.2.0/24' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY CIDR block not containing it',
    server: 'https://192.0.2.2:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '10.0.0.0/8' },
    expect: 'proxy',
  },
  {
    name: 'NO_PROXY names the address',
    server: 'https://192.0.2.2:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '192.0.2.2' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY names the address and port',
    server: 'https://192.0.2.2:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '192.0.2.2:{port}' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY names the address with another port',
    server: 'https://192.0.2.2:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '192.0.2.2:1' },
    expect: 'proxy',
  },
  {
    name: 'a domain entry never matches an address',
    server: 'https://192.0.2.2:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '0.2.2' },
    expect: 'proxy',
  },
  {
    name: 'an IPv4-mapped IPv6 address in an IPv4 block',
    server: 'https://[::ffff:192.0.2.2]:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '192.0.2.0/24' },
    expect: 'direct',
  },
  {
    name: 'NO_PROXY IPv6 block',
    server: 'https://[2001:db8::1]:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '2001:db8::/32' },
    expect: 'direct',
  },
  {
    name: 'an IPv6 address outside the block',
    server: 'https://[2001:db8::1]:{port}',
    env: { HTTPS_PROXY: '{proxy}', NO_PROXY: '2001:db9::/32' },
    expect: 'proxy',
  },
  // Loopback is never proxied through the environment; names other than localhost are.
  {
    name: '127.0.0.1 goes direct',
    server: 'https://127.0.0.1:{port}',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'direct',
  },
  {
    name: 'all of 127.0.0.0/8 goes direct',
    server: 'https://127.1.2.3:{port}',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'direct',
  },
  {
    name: 'localhost goes direct',
    server: 'https://localhost:{port}',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'direct',
  },
  {
    name: '[::1] goes direct',
    server: 'https://[::1]:{port}',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'direct',
  },
  {
    name: 'another name for this machine is proxied',
    server: 'https://localhost.localdomain:{port}',
    env: { HTTPS_PROXY: '{proxy}' },
    expect: 'proxy',
  },
  // The kubeconfig's proxy-url wins, and applies to every server.
  { name: 'proxy-url', server: S, proxyUrl: '{proxy}', env: {}, expect: 'proxy' },
  {
    name: 'proxy-url wins over HTTPS_PROXY',
    server: S,
    proxyUrl: '{proxy}',
    env: { HTTPS_PROXY: 'http://127.0.0.1:9' },
    expect: 'proxy',
  },
  {
    name: 'proxy-url ignores NO_PROXY',
    server: S,
    proxyUrl: '{proxy}',
    env: { NO_PROXY: '*' },
    expect: 'proxy',
  },
  {
    name: 'proxy-url applies to loopback servers',
    server: 'https://127.0.0.1:{port}',
    proxyUrl: '{proxy}',
    env: {},
    expect: 'proxy',
  },
  { name: 'proxy-url socks5', server: S, proxyUrl: '{socks}', env: {}, expect: 'socks' },
  {
    name: 'proxy-url with an unsupported scheme',
    server: S,
    proxyUrl: 'ftp://127.0.0.1:21',
    env: {},
    expect: 'error',
    kubectlSays: /unsupported scheme "ftp"/,
  },
  {
    name: 'proxy-url does not take socks5h',
    server: S,
    proxyUrl: '{socksh}',
    env: {},
    expect: 'error',
    kubectlSays: /unsupported scheme "socks5h"/,
  },
  {
    name: 'HTTP_PROXY in a CGI process',
    server: 'http://api.corp.example:{port}',
    env: { HTTP_PROXY: '{proxy}', REQUEST_METHOD: 'GET' },
    expect: 'error',
    kubectlSays: /CGI/,
  },
];

/** Every variable the rules read, to clear them before a case sets its own. */
export const PROXY_VARIABLES = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'REQUEST_METHOD',
];

/** The case with its placeholders filled in. */
export function fillProxyCase(
  c: ProxyCase,
  values: { proxy: string; socks: string; port: number },
): { server: string; proxyUrl?: string; env: Record<string, string> } {
  const fill = (s: string) =>
    s
      .replaceAll('{proxyHostPort}', values.proxy.replace(/^http:\/\//, ''))
      .replaceAll('{proxy}', values.proxy)
      .replaceAll('{socksh}', values.socks.replace(/^socks5:/, 'socks5h:'))
      .replaceAll('{socks}', values.socks)
      .replaceAll('{port}', String(values.port));
  return {
    server: fill(c.server),
    ...(c.proxyUrl !== undefined ? { proxyUrl: fill(c.proxyUrl) } : {}),
    env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, fill(v)])),
  };
}
