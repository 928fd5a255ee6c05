import * as kube from '@kubernetes/client-node';
import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { sharedDir } from '../cluster/paths';

/** A Kubernetes object as rendered: only the fields every kind has are typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

type CoreModel = new (data: never) => { validate(): void };

// Core kinds: the validators shipped with kubernetes-models (the Kubernetes OpenAPI schema).
const CORE: Record<string, CoreModel> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
};

// The same kinds as typed by @kubernetes/client-node, whose models list every field a type
// has: kubernetes-models accepts unknown fields, so they are caught by walking these maps.
const CLIENT_TYPE: Record<string, string> = {
  'v1/Namespace': 'V1Namespace',
  'v1/ConfigMap': 'V1ConfigMap',
  'v1/Service': 'V1Service',
  'apps/v1/Deployment': 'V1Deployment',
  'apps/v1/StatefulSet': 'V1StatefulSet',
  'autoscaling/v2/HorizontalPodAutoscaler': 'V2HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget': 'V1PodDisruptionBudget',
  'networking.k8s.io/v1/NetworkPolicy': 'V1NetworkPolicy',
  'networking.k8s.io/v1/Ingress': 'V1Ingress',
};

/** Prometheus Operator CRDs, from the kube-prometheus corpus (the test clusters install them too). */
export const PROMETHEUS_OPERATOR_CRDS = [
  '0servicemonitorCustomResourceDefinition.yaml',
  '0podmonitorCustomResourceDefinition.yaml',
  '0prometheusruleCustomResourceDefinition.yaml',
];

/** The CRDs of the shared folder (the same files the test clusters install). */
export const CRD_DIR = join(sharedDir(), 'crds');
const CRD_FILES = [
  'argocd/appproject-crd.yaml',
  'argocd/applicationset-crd.yaml',
  'argocd/application-crd.yaml',
  'flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
  'flux/source.toolkit.fluxcd.io_gitrepositories.yaml',
  // Global routing and secrets (issue 11): the production operators' CRDs.
  'k8gb/k8gb.io_gslbs.yaml',
  'external-dns/dnsendpoints.externaldns.k8s.io.yaml',
  'aws-load-balancer-controller/aga.k8s.aws_globalaccelerators.yaml',
  'provider-upjet-cloudflare/loadbalancer.cloudflare.m.cloudflare.com_loadbalancers.yaml',
  'provider-upjet-cloudflare/loadbalancer.cloudflare.m.cloudflare.com_loadbalancerpools.yaml',
  'provider-upjet-cloudflare/loadbalancer.cloudflare.m.cloudflare.com_loadbalancermonitors.yaml',
  // The stores are not generated (the config names one), so their 690 KB schemas are not loaded.
  'external-secrets/external-secrets.io_externalsecrets.yaml',
  // Database, cache and monitoring (issue 11 items 3-5).
  'cloudnative-pg/postgresql.cnpg.io_clusters.yaml',
  'cloudnative-pg/postgresql.cnpg.io_scheduledbackups.yaml',
  'cloudnative-pg/barmancloud.cnpg.io_objectstores.yaml',
  'redis-operator/redis.redis.opstreelabs.in_redisclusters.yaml',
  ...PROMETHEUS_OPERATOR_CRDS.map((f) => `../corpus/kube-prometheus/manifests/setup/${f}`),
];

let crdValidators: Map<string, () => ValidateFunction> | undefined;

/**
 * Validates one rendered object against its schema and returns what is wrong (empty when
 * valid). Core kinds use the Kubernetes OpenAPI validators of kubernetes-models; custom
 * resources (Argo CD, Flux, CloudNativePG, redis operator, Prometheus Operator) use the
 * openAPIV3Schema of their CRD, made strict the way the API server
 * is with field validation on: unknown fields are errors unless the schema keeps them.
 * A kind with no known schema is itself an error, so nothing passes unchecked.
 */
export function validateObject(obj: KubeObject): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const core = CORE[key];
  if (core) {
    const problems: string[] = [];
    try {
      new core(obj as never).validate();
    } catch (err) {
      problems.push(`${key} ${obj.metadata?.name}: ${(err as Error).message}`);
    }
    for (const field of unknownFields(obj, CLIENT_TYPE[key], '')) {
      problems.push(`${key} ${obj.metadata?.name}: ${field}: unknown field`);
    }
    return problems;
  }
  crdValidators ??= loadCrdValidators();
  const compile = crdValidators.get(key);
  if (!compile) return [`${key} ${obj.metadata?.name}: no schema known for this kind`];
  const validate = compile();
  const name = obj.metadata?.name;
  if (validate(obj)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${key} ${name}: ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

/** Parses kustomize output into objects. */
export function parseObjects(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

type AttributeMap = { baseName: string; type: string }[];
type Model = { getAttributeTypeMap?: () => AttributeMap };

/** JSON pointers of fields that the Kubernetes type does not have. */
function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || typeof value !== 'object') return [];
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    return Array.isArray(value)
      ? value.flatMap((v, i) => unknownFields(v, list[1], `${path}/${i}`))
      : [];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1], `${path}/${k}`));
  }
  const model = (kube as unknown as Record<string, Model | undefined>)[type];
  if (!model?.getAttributeTypeMap) return []; // a scalar type (string, IntOrString, Date ...)
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([k, v]) => {
    const t = fields.get(k);
    return t === undefined ? [`${path}/${k}`] : unknownFields(v, t, `${path}/${k}`);
  });
}

/**
 * One compiler per CRD version, compiled on first use: the CloudNativePG Cluster schema
 * alone is about 460 KB, and most trees never need it.
 */
function loadCrdValidators(): Map<string, () => ValidateFunction> {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
    // Generated code unoptimised: compiles in about half the time, and these run once.
    code: { regExp: goRegExp, optimize: false },
  });
  const out = new Map<string, () => ValidateFunction>();
  for (const file of CRD_FILES) {
    const crd = parseAllDocuments(readFileSync(join(CRD_DIR, file), 'utf8'))[0].toJS() as {
      spec: {
        group: string;
        names: { kind: string };
        versions: {
          name: string;
          served?: boolean;
          schema: { openAPIV3Schema: Record<string, unknown> };
        }[];
      };
    };
    for (const v of crd.spec.versions) {
      // A version the API server does not serve rejects every object, as the server does.
      if (v.served === false) continue;
      let compiled: ValidateFunction | undefined;
      out.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, () => {
        compiled ??= ajv.compile(strict(structuredClone(v.schema.openAPIV3Schema)));
        return compiled;
      });
    }
  }
  return out;
}

/**
 * CRD patterns are Go (RE2) expressions; the only RE2 syntax the CRDs used here need beyond
 * JavaScript's is a leading `(?i)` (case-insensitive, after an optional `^`), as in the
 * Prometheus Operator's.
 */
function goRegExp(pattern: string, flags: string): RegExp {
  const m = /^(\^?)\(\?i\)/.exec(pattern);
  return m
    ? new RegExp(m[1] + pattern.slice(m[0].length), `${flags}i`)
    : new RegExp(pattern, flags);
}
goRegExp.code = 'goRegExp';

/** Closes every object schema that lists its properties (as API server pruning does). */
function strict(schema: Record<string, unknown>): Record<string, unknown> {
  const walk = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    if (Array.isArray(s)) {
      s.forEach(walk);
      return;
    }
    const node = s as Record<string, unknown>;
    if (
      node.properties &&
      node.additionalProperties === undefined &&
      node['x-kubernetes-preserve-unknown-fields'] !== true
    ) {
      node.additionalProperties = false;
    }
    for (const v of Object.values(node)) walk(v);
  };
  walk(schema);
  // apiVersion/kind/metadata are checked by the API machinery, not the CRD schema.
  return schema;
}
