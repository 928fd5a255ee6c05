import type { Config, RegionConfig, RoutingConfig, RoutingProvider } from '../config/types';

/**
 * Global routing as the templates see it: every provider's objects with the drain of
 * each region (regions[].traffic, 0..100) already applied, so templates only place values.
 * How traffic maps, per provider:
 * - k8gb roundRobin: `strategy.weight[geoTag] = traffic` (0 takes the region out);
 *   failover: the primary is the first undrained region of the failover order.
 * - aws-global-accelerator: `trafficDialPercentage = traffic` on the region's endpoint group.
 * - cloudflare: traffic 0 disables the pool; 1..99 sheds `100 - traffic` percent of its
 *   traffic (random steering: pool weight `traffic / 100` instead).
 * - external-dns weighted: `aws/weight = traffic`; latency and failover: a drained region
 *   has no record (failover: the first two undrained regions are PRIMARY and SECONDARY).
 */
export interface RoutingView {
  provider: RoutingProvider;
  k8gb: boolean;
  awsGlobalAccelerator: boolean;
  cloudflare: boolean;
  externalDns: boolean;
  host: string;
  /** The region that takes the traffic first, after drains. */
  primaryRegion: string;
  /** The region whose overlay holds the objects that exist once. */
  homeRegion: string;
  /** Region names in failover order: the configured primary first, then by wave and name. */
  order: string[];
  /** The regions of `order` that are not drained (traffic above 0). */
  serving: string[];
  ingressName: string;
  healthCheck: {
    path: string;
    scheme: string;
    intervalSeconds: number;
    unhealthyThreshold: number;
  };
  gslb: null | {
    name: string;
    strategy: string;
    dnsTtlSeconds: number;
    primaryGeoTag: string | null;
    weights: { geoTag: string; weight: number }[] | null;
  };
  dnsEndpointName: string;
  externalDnsTtl: number;
  accelerator: null | {
    objectName: string;
    name: string;
    protocol: string;
    ports: number[];
    clientAffinity: string;
    groups: {
      region: string;
      awsRegion: string;
      trafficDialPercentage: number;
      /** The load balancer's ARN, or (home region without one) the Ingress to discover it from. */
      endpoint: { endpointID: string | null; ingress: string | null };
    }[];
  };
  cloudflareObjects: null | {
    accountId: string;
    zoneId: string;
    steeringPolicy: string;
    proxied: boolean;
    providerConfig: { kind: string; name: string };
    monitorName: string;
    loadBalancerName: string;
    pools: {
      objectName: string;
      poolName: string;
      region: string;
      enabled: boolean;
      origin: string;
      /** Percent of the pool's traffic shed to the next pool (partial drain), or null. */
      shedPercent: number | null;
    }[];
    /** Null until every region's pool ID is in the config (the LoadBalancer lists IDs). */
    loadBalancer: null | {
      defaultPools: string[];
      fallbackPool: string;
      poolWeights: { id: string; weight: number }[] | null;
    };
  };
}

/** What one region's overlay gets from the global routing. */
export interface RegionRoutingView {
  traffic: number;
  drained: boolean;
  /** This overlay holds the GlobalAccelerator or the Cloudflare objects. */
  home: boolean;
  /** The region's external-dns record, or null when it has none (drained, or not in the failover pair). */
  dnsRecord: null | {
    target: string;
    setIdentifier: string;
    providerSpecific: { name: string; value: string }[];
  };
  /** Files this region's overlay gets for routing, in kustomization order. */
  files: string[];
}

/** Builds the routing view, or null when the config has no `routing` section. */
export function buildRoutingView(
  config: Config,
  ordered: readonly RegionConfig[],
): RoutingView | null {
  const routing = config.routing;
  if (!routing) return null;
  const app = config.app.name;
  const configuredPrimary = routing.primaryRegion ?? ordered[0].name;
  const order = [
    configuredPrimary,
    ...ordered.map((r) => r.name).filter((n) => n !== configuredPrimary),
  ];
  const byName = new Map(ordered.map((r) => [r.name, r]));
  const traffic = (name: string): number => byName.get(name)?.traffic ?? 100;
  const primaryRegion = order.find((n) => traffic(n) > 0) ?? configuredPrimary;
  const homeRegion = routing.homeRegion ?? configuredPrimary;
  const geoTag = (r: RegionConfig): string => r.routing.geoTag ?? r.name;
  const target = (r: RegionConfig): string => r.routing.target ?? r.host;
  const inOrder = order.map((n) => byName.get(n)!);

  const view: RoutingView = {
    provider: routing.provider,
    k8gb: routing.provider === 'k8gb',
    awsGlobalAccelerator: routing.provider === 'aws-global-accelerator',
    cloudflare: routing.provider === 'cloudflare',
    externalDns: routing.provider === 'external-dns',
    host: routing.host,
    primaryRegion,
    homeRegion,
    order,
    serving: order.filter((n) => traffic(n) > 0),
    ingressName: `${app}-api-global`,
    healthCheck: { ...routing.healthCheck },
    gslb: null,
    dnsEndpointName: `${app}-global`,
    externalDnsTtl: routing.externalDns.ttl,
    accelerator: null,
    cloudflareObjects: null,
  };

  if (routing.provider === 'k8gb') {
    const strategy = routing.k8gb.strategy;
    view.gslb = {
      name: `${app}-api-global`,
      strategy,
      dnsTtlSeconds: routing.k8gb.dnsTtlSeconds,
      primaryGeoTag: strategy === 'failover' ? geoTag(byName.get(primaryRegion)!) : null,
      weights:
        strategy === 'roundRobin'
          ? ordered.map((r) => ({ geoTag: geoTag(r), weight: r.traffic }))
          : null,
    };
  } else if (routing.provider === 'aws-global-accelerator') {
    const aga = routing.awsGlobalAccelerator;
    view.accelerator = {
      objectName: app,
      name: aga.name ?? app,
      protocol: aga.protocol,
      ports: [...aga.ports],
      clientAffinity: aga.clientAffinity,
      groups: inOrder.map((r) => ({
        region: r.name,
        awsRegion: r.routing.awsRegion ?? '',
        trafficDialPercentage: r.traffic,
        endpoint: r.routing.endpointId
          ? { endpointID: r.routing.endpointId, ingress: null }
          : { endpointID: null, ingress: `${app}-api-global` },
      })),
    };
  } else if (routing.provider === 'cloudflare') {
    const cf = routing.cloudflare;
    const random = cf.steeringPolicy === 'random';
    const ids = inOrder.map((r) => r.routing.cloudflarePoolId);
    const allIds = ids.every((id): id is string => id !== undefined);
    view.cloudflareObjects = {
      accountId: cf.accountId ?? '',
      zoneId: cf.zoneId ?? '',
      steeringPolicy: cf.steeringPolicy,
      proxied: cf.proxied,
      providerConfig: { ...cf.providerConfig },
      monitorName: app,
      loadBalancerName: app,
      pools: inOrder.map((r) => ({
        objectName: `${app}-${r.name}`,
        poolName: `${app}-${r.name}`,
        region: r.name,
        enabled: r.traffic > 0,
        origin: target(r),
        shedPercent: !random && r.traffic > 0 && r.traffic < 100 ? 100 - r.traffic : null,
      })),
      loadBalancer: allIds
        ? {
            defaultPools: ids,
            fallbackPool: byName.get(primaryRegion)!.routing.cloudflarePoolId!,
            poolWeights: random
              ? inOrder.map((r) => ({ id: r.routing.cloudflarePoolId!, weight: r.traffic / 100 }))
              : null,
          }
        : null,
    };
  }
  return view;
}

/** The routing part of one region's view (null without global routing). */
export function buildRegionRouting(
  routing: RoutingConfig | undefined,
  view: RoutingView | null,
  region: RegionConfig,
): RegionRoutingView | null {
  if (!routing || !view) return null;
  const home = region.name === view.homeRegion;
  const drained = region.traffic === 0;
  const dnsRecord = view.externalDns ? externalDnsRecord(routing, view, region) : null;
  const hasRoutingFile =
    view.k8gb || dnsRecord !== null || (home && (view.awsGlobalAccelerator || view.cloudflare));
  return {
    traffic: region.traffic,
    drained,
    home,
    dnsRecord,
    files: ['ingress-global.yaml', ...(hasRoutingFile ? ['routing.yaml'] : [])],
  };
}

function externalDnsRecord(
  routing: RoutingConfig,
  view: RoutingView,
  region: RegionConfig,
): RegionRoutingView['dnsRecord'] {
  const policy = routing.externalDns.policy;
  const specific: { name: string; value: string }[] = [];
  if (policy === 'weighted') {
    specific.push({ name: 'aws/weight', value: String(region.traffic) });
  } else if (policy === 'latency') {
    if (region.traffic === 0) return null;
    specific.push({ name: 'aws/region', value: region.routing.awsRegion ?? '' });
  } else {
    // Route 53 failover: one PRIMARY and one SECONDARY record, the first two undrained
    // regions of the failover order.
    const role = view.serving.slice(0, 2).indexOf(region.name);
    if (role < 0) return null;
    specific.push({ name: 'aws/failover', value: role === 0 ? 'PRIMARY' : 'SECONDARY' });
  }
  if (routing.externalDns.evaluateTargetHealth) {
    specific.push({ name: 'alias', value: 'true' });
    specific.push({ name: 'aws/evaluate-target-health', value: 'true' });
  }
  if (region.routing.healthCheckId) {
    specific.push({ name: 'aws/health-check-id', value: region.routing.healthCheckId });
  }
  return {
    target: region.routing.target ?? region.host,
    setIdentifier: region.name,
    providerSpecific: specific,
  };
}
