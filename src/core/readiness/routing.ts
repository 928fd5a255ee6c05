import type { Config } from '../config/types';

/** Whether the global host keeps answering when one region is lost, and why. */
export interface RoutingOnLoss {
  /** The routing provider, or `none` without global routing. */
  provider: string;
  failsOver: boolean;
  detail: string;
}

/**
 * What the global routing does when region `lost` disappears (its cluster, load balancer
 * and controllers gone at once). Pure; for the failover-readiness report of `generate`.
 * A provider fails over only when something outside the lost region notices: k8gb's
 * other clusters, Global Accelerator's and Cloudflare's health checks, or a Route 53
 * health check (or alias target health) on the region's record. The record itself stays:
 * the lost region's own external-dns is not there to delete it.
 */
export function routingOnRegionLoss(config: Config, lost: string): RoutingOnLoss {
  const provider = config.routing?.provider ?? 'none';
  return { provider, ...decide(config, lost) };
}

function decide(config: Config, lost: string): Omit<RoutingOnLoss, 'provider'> {
  const routing = config.routing;
  const region = config.regions.find((r) => r.name === lost);
  if (!region) throw new Error(`routingOnRegionLoss: no region ${lost}`);
  if (!routing) {
    return {
      failsOver: false,
      detail: `no global routing: ${region.host} is down with the region and nothing sends its clients elsewhere (add a routing section)`,
    };
  }
  if (region.traffic === 0) {
    return {
      failsOver: true,
      detail: `${lost} is drained (traffic 0): it takes no traffic from ${routing.host}`,
    };
  }
  const others = config.regions.filter((r) => r.name !== lost && r.traffic > 0);
  if (others.length === 0) {
    return {
      failsOver: false,
      detail: `every other region is drained (traffic 0): ${routing.host} has nowhere to go; raise another region's traffic`,
    };
  }
  const to = others.map((r) => r.name).join(', ');
  switch (routing.provider) {
    case 'k8gb':
      return {
        failsOver: true,
        detail: `k8gb in ${to} stops answering with ${lost} once its targets stop resolving (strategy ${routing.k8gb.strategy})`,
      };
    case 'aws-global-accelerator':
      return {
        failsOver: true,
        detail:
          `Global Accelerator's health checks move ${lost}'s share to ${to}` +
          (lost === homeOf(config)
            ? `; the accelerator keeps running, but changing it needs a new routing.homeRegion`
            : ''),
      };
    case 'cloudflare': {
      const pools = config.regions.every((r) => r.routing.cloudflarePoolId !== undefined);
      if (!pools) {
        return {
          failsOver: false,
          detail:
            'the Cloudflare LoadBalancer is not generated yet: set regions[].routing.cloudflarePoolId once the pools exist',
        };
      }
      return {
        failsOver: true,
        detail:
          `the Cloudflare monitor marks ${lost}'s pool unhealthy and steers to ${to}` +
          (lost === homeOf(config)
            ? `; the objects stay in Cloudflare, but changing them needs a new routing.homeRegion`
            : ''),
      };
    }
    case 'external-dns': {
      const policy = routing.externalDns.policy;
      if (policy === 'failover') {
        const serving = failoverOrder(config).filter((n) => (byName(config, n)?.traffic ?? 0) > 0);
        const role = serving.slice(0, 2).indexOf(lost);
        if (role === 1) {
          return {
            failsOver: true,
            detail: `${lost} holds the SECONDARY record; the PRIMARY keeps answering`,
          };
        }
        if (role < 0) {
          return {
            failsOver: true,
            detail: `${lost} has no record (Route 53 failover keeps two: ${serving.slice(0, 2).join(', ')})`,
          };
        }
        if (serving.length < 2) {
          return {
            failsOver: false,
            detail: `${lost} holds the only failover record: no SECONDARY to fail over to`,
          };
        }
      }
      const healthy =
        routing.externalDns.evaluateTargetHealth || region.routing.healthCheckId !== undefined;
      if (!healthy) {
        return {
          failsOver: false,
          detail: `${lost}'s Route 53 record has no health check and stays after the region is gone: set its routing.healthCheckId, or routing.externalDns.evaluateTargetHealth`,
        };
      }
      return {
        failsOver: true,
        detail: routing.externalDns.evaluateTargetHealth
          ? `Route 53 sees the alias target of ${lost}'s record unhealthy and answers with ${to}`
          : `${lost}'s Route 53 health check fails and Route 53 answers with ${to}`,
      };
    }
  }
}

/** The configured primary first, then the other regions by wave and name. */
export function failoverOrder(config: Config): string[] {
  const sorted = [...config.regions].sort(
    (a, b) => a.wave - b.wave || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const primary = config.routing?.primaryRegion ?? sorted[0]?.name;
  return [primary, ...sorted.map((r) => r.name).filter((n) => n !== primary)].filter(
    (n): n is string => n !== undefined,
  );
}

function homeOf(config: Config): string | undefined {
  return config.routing?.homeRegion ?? failoverOrder(config)[0];
}

function byName(config: Config, name: string): Config['regions'][number] | undefined {
  return config.regions.find((r) => r.name === name);
}
