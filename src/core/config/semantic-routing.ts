import { isObject, type Raw, type SemanticProblem } from './semantic-problem';

/**
 * Rules of the `routing` and `secrets` sections and of `regions[].traffic` that the
 * schema cannot state: regions named by the routing exist, the global host is not a
 * region's host, and each provider is given only what it can honour (a k8gb failover
 * has no traffic split, a Route 53 latency record no weight, a Global Accelerator one
 * endpoint group per AWS region). Runs on raw, defaults-filled data, guarding every access.
 */
export function routingChecks(data: Raw): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const regions = (Array.isArray(data.regions) ? data.regions : []).map((r) =>
    isObject(r) ? r : {},
  );
  const routing = isObject(data.routing) ? data.routing : undefined;
  const names = regions.map((r) => (typeof r.name === 'string' ? r.name : ''));
  const traffic = regions.map((r) => (typeof r.traffic === 'number' ? r.traffic : 100));

  if (!routing) {
    regions.forEach((r, i) => {
      if (typeof r.traffic === 'number' && r.traffic !== 100) {
        problems.push({
          path: ['regions', i, 'traffic'],
          message:
            'traffic only applies with global routing: add a `routing` section (provider and host), or remove traffic',
        });
      }
      if (isObject(r.routing) && Object.keys(r.routing).length > 0) {
        problems.push({
          path: ['regions', i, 'routing'],
          message:
            'regions[].routing only applies with a top-level `routing` section; add one or remove this',
        });
      }
    });
  } else {
    checkRouting(routing, regions, names, traffic, problems);
  }
  checkSecrets(data, problems);
  return problems;
}

function checkRouting(
  routing: Raw,
  regions: Raw[],
  names: string[],
  traffic: number[],
  problems: SemanticProblem[],
): void {
  for (const field of ['primaryRegion', 'homeRegion'] as const) {
    const value = routing[field];
    if (typeof value === 'string' && !names.includes(value)) {
      problems.push({
        path: ['routing', field],
        message: `no region is named ${JSON.stringify(value)}; expected one of ${names.map((n) => JSON.stringify(n)).join(', ')}`,
      });
    }
  }
  if (typeof routing.host === 'string') {
    const i = regions.findIndex((r) => r.host === routing.host);
    if (i >= 0) {
      problems.push({
        path: ['routing', 'host'],
        message: `the global host is also the host of region ${JSON.stringify(names[i])} (regions[${i}].host); the global host must be a name of its own, each region keeps its own host`,
      });
    }
  }
  if (regions.length > 0 && traffic.every((t) => t === 0)) {
    problems.push({
      path: ['regions', 0, 'traffic'],
      message:
        'every region is drained (traffic 0): at least one region must take traffic; set traffic above 0 on one region',
    });
  }

  const provider = routing.provider;
  const section = (key: string): Raw => (isObject(routing[key]) ? routing[key] : {});
  const regionRouting = (r: Raw): Raw => (isObject(r.routing) ? r.routing : {});
  const home = homeRegion(routing, regions, names);

  // A region's routing fields that the chosen provider would silently ignore.
  const used: Record<string, string[]> = {
    k8gb: ['geoTag'],
    'aws-global-accelerator': ['awsRegion', 'endpointId'],
    cloudflare: ['target', 'cloudflarePoolId'],
    'external-dns': ['awsRegion', 'target', 'healthCheckId'],
  };
  if (typeof provider === 'string' && used[provider]) {
    regions.forEach((r, i) => {
      for (const key of Object.keys(regionRouting(r))) {
        if (!used[provider].includes(key)) {
          problems.push({
            path: ['regions', i, 'routing', key],
            atKey: true,
            message: `not used by routing provider ${provider} (it reads ${used[provider].join(', ')}); remove it`,
          });
        }
      }
    });
  }

  const allOrNothing = (why: string): void => {
    regions.forEach((r, i) => {
      if (traffic[i] !== 0 && traffic[i] !== 100 && typeof r.traffic === 'number') {
        problems.push({ path: ['regions', i, 'traffic'], message: `expected 0 or 100: ${why}` });
      }
    });
  };

  if (provider === 'k8gb') {
    const strategy = section('k8gb').strategy;
    if (strategy === 'failover') {
      allOrNothing(
        'k8gb failover sends all traffic to one region, so a region is either drained (0) or not; use strategy roundRobin to split traffic',
      );
    } else if (strategy === 'geoip') {
      regions.forEach((r, i) => {
        if (typeof r.traffic === 'number' && r.traffic !== 100) {
          problems.push({
            path: ['regions', i, 'traffic'],
            message:
              'k8gb geoip answers with the closest healthy region and has no per-region weight, so a region cannot be drained; use strategy roundRobin (weights) or failover',
          });
        }
      });
    }
    uniqueValues(
      regions.map((r, i) => regionRouting(r).geoTag ?? names[i]),
      (i, j) =>
        problems.push({
          path: ['regions', i, 'routing', 'geoTag'],
          message: `geo tag ${JSON.stringify(regionRouting(regions[i]).geoTag ?? names[i])} is already the geo tag of regions[${j}]; each k8gb cluster needs its own`,
        }),
    );
  } else if (provider === 'external-dns') {
    const policy = section('externalDns').policy;
    if (policy === 'latency') {
      allOrNothing(
        'Route 53 latency records carry no weight, so a region is either drained (0: its record is removed) or not; use policy weighted to split traffic',
      );
      regions.forEach((r, i) => {
        if (regionRouting(r).awsRegion === undefined) {
          problems.push({
            path: ['regions', i, 'routing'],
            message:
              "external-dns latency policy needs the AWS region of this region's load balancer: set routing.awsRegion, e.g. us-east-1",
          });
        }
      });
    } else if (policy === 'failover') {
      allOrNothing(
        'Route 53 failover has one primary and one secondary record, so a region is either drained (0) or not; use policy weighted to split traffic',
      );
    }
  } else if (provider === 'aws-global-accelerator') {
    regions.forEach((r, i) => {
      const rr = regionRouting(r);
      if (rr.awsRegion === undefined) {
        problems.push({
          path: ['regions', i, 'routing'],
          message:
            'aws-global-accelerator needs the AWS region of each endpoint group: set routing.awsRegion, e.g. us-east-1',
        });
      }
      if (rr.endpointId === undefined && names[i] !== home) {
        problems.push({
          path: ['regions', i, 'routing'],
          message: `aws-global-accelerator reaches a region other than the home region (${JSON.stringify(home)}) by its load balancer ARN: set routing.endpointId`,
        });
      }
    });
    uniqueValues(
      regions.map((r) => regionRouting(r).awsRegion),
      (i, j) =>
        problems.push({
          path: ['regions', i, 'routing', 'awsRegion'],
          message: `AWS region ${JSON.stringify(regionRouting(regions[i]).awsRegion)} already has the endpoint group of regions[${j}]; a listener has one endpoint group per AWS region`,
        }),
    );
  } else if (provider === 'cloudflare') {
    const cf = section('cloudflare');
    for (const key of ['accountId', 'zoneId'] as const) {
      if (cf[key] === undefined) {
        problems.push({
          path: ['routing', 'cloudflare', key],
          message: `is required with provider cloudflare (the ${key === 'accountId' ? 'account of the pools and monitor' : 'zone of routing.host'}, shown in the Cloudflare dashboard)`,
        });
      }
    }
    const withId = regions.filter((r) => regionRouting(r).cloudflarePoolId !== undefined).length;
    if (withId > 0 && withId < regions.length) {
      regions.forEach((r, i) => {
        if (regionRouting(r).cloudflarePoolId === undefined) {
          problems.push({
            path: ['regions', i, 'routing'],
            message:
              "set routing.cloudflarePoolId on every region or on none: the LoadBalancer lists every pool by ID (read it from the LoadBalancerPool's status.atProvider.id)",
          });
        }
      });
    }
  }
}

/** The region that holds the objects that exist once: homeRegion, primaryRegion, or the first. */
function homeRegion(routing: Raw, regions: Raw[], names: string[]): string {
  if (typeof routing.homeRegion === 'string') return routing.homeRegion;
  if (typeof routing.primaryRegion === 'string') return routing.primaryRegion;
  const order = regions
    .map((r, i) => ({ wave: typeof r.wave === 'number' ? r.wave : 0, name: names[i] }))
    .sort((a, b) => a.wave - b.wave || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return order[0]?.name ?? '';
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

function checkSecrets(data: Raw, problems: SemanticProblem[]): void {
  const secrets = isObject(data.secrets) ? data.secrets : undefined;
  if (!secrets) return;
  const gitops = isObject(data.gitops) ? data.gitops : {};
  if (secrets.sops !== undefined && gitops.engine === 'argocd') {
    problems.push({
      path: ['secrets', 'sops'],
      atKey: true,
      message:
        'SOPS decryption is a Flux feature (Kustomization spec.decryption); with Argo CD use secrets.externalSecrets',
    });
  }
  const eso = isObject(secrets.externalSecrets) ? secrets.externalSecrets : {};
  const keys = isObject(eso.remoteKeys) ? eso.remoteKeys : {};
  for (const [name, key] of Object.entries(keys)) {
    if (typeof key !== 'string') continue;
    const unknown = [...key.matchAll(PLACEHOLDER)]
      .map((m) => m[1])
      .filter((p) => p !== 'app' && p !== 'region');
    const stray = key.replace(PLACEHOLDER, '').match(/[{}]/);
    if (unknown.length > 0 || stray) {
      problems.push({
        path: ['secrets', 'externalSecrets', 'remoteKeys', name],
        message: `${unknown.length > 0 ? `unknown placeholder ${unknown.map((p) => `{{${p}}}`).join(', ')}` : 'unbalanced braces'}: a remote key may use {{app}} and {{region}} only (got ${JSON.stringify(key)})`,
      });
    }
    if (name === 'kubeconfig' && !key.includes('{{region}}')) {
      const flux = isObject(gitops.flux) ? gitops.flux : {};
      if (gitops.engine === 'flux' && flux.layout !== 'per-cluster') {
        problems.push({
          path: ['secrets', 'externalSecrets', 'remoteKeys', name],
          message: `every region would get the same kubeconfig: include {{region}} in the key (got ${JSON.stringify(key)})`,
        });
      }
    }
  }
}

/** Calls `duplicate(i, j)` for each value equal to the earlier value at j (undefined skipped). */
function uniqueValues(values: unknown[], duplicate: (i: number, j: number) => void): void {
  const first = new Map<unknown, number>();
  values.forEach((v, i) => {
    if (v === undefined) return;
    const j = first.get(v);
    if (j === undefined) first.set(v, i);
    else duplicate(i, j);
  });
}
