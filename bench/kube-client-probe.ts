/**
 * One measured process for bench/kube-client.ts: loads one client, reads one namespace's
 * ConfigMaps in every region at once, and prints what it cost as one JSON line. Each
 * client is loaded by a dynamic import, so the bundle's other client is never loaded.
 *
 *   node <bundle> own|client-node <kubeconfig> <namespace> <region,...>
 */
const [mode, kubeconfig, namespace, regionList] = process.argv.slice(2);
const regions = regionList.split(',');
const start = performance.now();

async function own(): Promise<number[]> {
  const [{ loadKubeconfig }, { KubeClient }, { listObjects }] = await Promise.all([
    import('../src/adapters/kube/kubeconfig'),
    import('../src/adapters/kube/kube-client'),
    import('../src/adapters/kube/read-live'),
  ]);
  loaded = performance.now();
  const kc = loadKubeconfig(kubeconfig);
  const configMaps = {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    resource: 'configmaps',
    namespaced: true,
    verbs: ['list'],
  };
  return Promise.all(
    regions.map(async (context) => {
      const client = await KubeClient.connect(kc, { context });
      try {
        return (await listObjects(client, configMaps, { namespace })).length;
      } finally {
        client.close();
      }
    }),
  );
}

async function clientNode(): Promise<number[]> {
  const k8s = await import('@kubernetes/client-node');
  loaded = performance.now();
  return Promise.all(
    regions.map(async (context) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfig);
      kc.setCurrentContext(context);
      const api = kc.makeApiClient(k8s.CoreV1Api);
      return (await api.listNamespacedConfigMap({ namespace })).items.length;
    }),
  );
}

let loaded = start;

async function main(): Promise<void> {
  const items = await (mode === 'own' ? own() : clientNode());
  const end = performance.now();
  const cpu = process.cpuUsage();
  console.log(
    JSON.stringify({
      // Node's own start-up comes before `start`; the process's wall time is measured outside.
      loadMs: loaded - start,
      readMs: end - loaded,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssMiB: process.resourceUsage().maxRSS / 1024,
      items,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
