import { describe, expect, it } from 'vitest';
import { chooseProxy, ProxySettingError, useProxy } from '../../src/adapters/kube/proxy-rules';
import { fillProxyCase, PROXY_CASES } from '../support/proxy-cases';

/**
 * The proxy choice for a cluster, case by case (test/support/proxy-cases.ts, the table that
 * test/integration/cluster-proxy.test.ts also runs through real kubectl).
 */
const values = { proxy: 'http://proxy.corp:3128', socks: 'socks5://socks.corp:1080', port: 6443 };

describe('the proxy a cluster is reached through (the kubectl table)', () => {
  it.each(PROXY_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { server, proxyUrl, env } = fillProxyCase(c, values);
    if (c.expect === 'error') {
      expect(() => chooseProxy(server, proxyUrl, env)).toThrow(ProxySettingError);
      return;
    }
    const proxy = chooseProxy(server, proxyUrl, env);
    if (c.expect === 'direct') expect(proxy).toBeUndefined();
    else if (c.expect === 'socks')
      expect(proxy).toMatchObject({ scheme: 'socks5', host: 'socks.corp', port: 1080 });
    else expect(proxy).toMatchObject({ scheme: 'http', host: 'proxy.corp', port: 3128 });
  });
});

describe('proxy URLs', () => {
  const server = 'https://api.corp.example:6443';

  it('says where the proxy was set', () => {
    expect(chooseProxy(server, undefined, { https_proxy: 'http://p:1' })?.source).toBe(
      'https_proxy',
    );
    expect(chooseProxy(server, 'http://p:1', {})?.source).toBe('proxy-url');
  });

  it('takes the credentials from the URL, percent-decoded, and never shows them', () => {
    const proxy = chooseProxy(server, undefined, {
      HTTPS_PROXY: 'http://ada%40corp:p%3Ass%2Fw0rd@proxy.corp:3128',
    })!;
    expect(proxy.credentials).toEqual({ user: 'ada@corp', password: 'p:ss/w0rd' });
    expect(proxy.shown).toBe('http://proxy.corp:3128');
  });

  it('fills in the default port of the scheme, as Go does', () => {
    const port = (url: string) => chooseProxy(server, url, {})?.port;
    expect(port('http://proxy.corp')).toBe(80);
    expect(port('https://proxy.corp')).toBe(443);
    expect(port('socks5://proxy.corp')).toBe(1080);
  });

  it('shows an IPv6 proxy in brackets', () => {
    const proxy = chooseProxy(server, 'http://[fd00::1]:3128', {})!;
    expect(proxy).toMatchObject({ host: 'fd00::1', port: 3128, shown: 'http://[fd00::1]:3128' });
  });

  it('refuses a proxy-url that is not a URL, without quoting it', () => {
    expect(() => chooseProxy(server, 'user:secret@proxy', {})).toThrow(ProxySettingError);
    try {
      chooseProxy(server, 'http://user:secret@[proxy', {});
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('proxy-url is not a URL');
      expect((e as Error).message).not.toContain('secret');
    }
  });

  it('refuses a scheme it cannot speak in HTTPS_PROXY (kubectl would tunnel through it as HTTP)', () => {
    expect(() => chooseProxy(server, undefined, { HTTPS_PROXY: 'ftp://proxy.corp' })).toThrow(
      /HTTPS_PROXY names a proxy with the scheme "ftp"/,
    );
  });
});

describe('NO_PROXY matching (golang.org/x/net/http/httpproxy)', () => {
  it.each([
    ['example.com', '443', 'example.com', false],
    ['www.example.com', '443', 'example.com', false],
    ['www.example.com', '443', '.example.com', false],
    ['example.com', '443', '.example.com', true],
    ['notexample.com', '443', 'example.com', true],
    ['example.com', '443', 'example.com:443', false],
    ['example.com', '443', 'example.com:80', true],
    ['example.com', '443', 'example.com:', false],
    ['10.1.2.3', '443', '10.0.0.0/8', false],
    ['10.1.2.3', '443', '10.1.2.3', false],
    ['10.1.2.3', '443', '10.1.2.3:443', false],
    ['10.1.2.3', '443', '10.1.2.3:80', true],
    ['10.1.2.3', '443', '010.1.2.3', true],
    ['10.1.2.3', '443', '::ffff:10.1.2.3', false],
    ['10.1.2.3', '443', '::ffff:10.0.0.0/104', false],
    ['10.1.2.3', '443', '::ffff:11.0.0.0/104', true],
    ['fd00::5', '443', 'fd00::/8', false],
    ['fd00::5', '443', '[fd00::5]:443', false],
    ['fd00::5', '443', 'fd00:0:0:0:0:0:0:5', false],
    ['fd00::5', '443', 'fe00::/8', true],
    ['fd00::5', '443', '10.0.0.0/8', true],
    ['10.1.2.3', '443', 'fd00::/8', true],
    ['example.com', '443', ',, ,example.com', false],
    ['example.com', '443', '', true],
    ['127.0.0.1', '443', '', false],
    ['::1', '443', '', false],
    ['::ffff:127.0.0.1', '443', '', false],
    ['localhost', '443', '', false],
    ['xn--r8jz45g.jp', '443', '例え.jp', false],
  ])('%s:%s with NO_PROXY "%s": proxy %s', (host, port, noProxy, expected) => {
    expect(useProxy(host, port, noProxy)).toBe(expected);
  });
});
