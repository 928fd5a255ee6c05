// Preloaded with `node --import` into a child process under test: resolves the names in
// MR_DRIFT_TEST_HOSTS (JSON, name -> IPv4 address on this machine) without DNS, as a
// company's DNS or /etc/hosts would resolve an internal GitHub Enterprise Server. Every
// other name resolves as usual. It stands in for name resolution only: the product code
// in the child is unchanged.
import dns from 'node:dns';

const hosts = JSON.parse(process.env.MR_DRIFT_TEST_HOSTS ?? '{}');
const lookup = dns.lookup;

dns.lookup = function lookupWithTestHosts(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'object' && options !== null ? options : {};
  const address = Object.hasOwn(hosts, hostname) ? hosts[hostname] : undefined;
  if (address === undefined) return lookup.call(this, hostname, options, callback);
  process.nextTick(() => (opts.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
  return undefined;
};
