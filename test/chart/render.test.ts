// Renders charts/gatehouse with several values files through test/tools/helm-render (a stand-in for
// `helm template`) and asserts on the manifests: they parse, and they carry the security context, probes,
// ports, ConfigMap and Secret wiring, shutdown arithmetic and thread-pool sizing the chart promises.
import { strict as assert } from 'node:assert';
import { describe, test, type TestContext } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readConfigFile } from '../../src/config/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALERTS, repoRoot, renderChart, run, type Manifest, type Rendered } from './chart-tools.js';

const containerOf = (deployment: Manifest, name: string) => {
  const c = deployment.spec.template.spec.containers.find((x: { name: string }) => x.name === name);
  assert.ok(c, `container ${name} in ${deployment.metadata.name}`);
  return c;
};
const envOf = (container: { env?: Array<{ name: string; value?: string; valueFrom?: unknown }> }) =>
  Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const configOf = (r: Rendered) => {
  const maps = r.all('ConfigMap').filter((m) => typeof m.data?.['gatehouse.yaml'] === 'string');
  assert.equal(maps.length, 1, 'one ConfigMap holds gatehouse.yaml');
  return parse(maps[0]!.data['gatehouse.yaml'] as string);
};

function mustRender(t: TestContext, values: Array<string | Record<string, unknown>>, opts?: Parameters<typeof renderChart>[2]): Rendered | undefined {
  const r = renderChart(t, values, opts);
  if (r !== undefined) assert.ok(r.ok, `render failed:\n${r.stderr}`);
  return r;
}

/** The restricted Pod Security Standard, checked on one container. */
function assertRestricted(container: { name: string; securityContext?: Record<string, unknown> }) {
  const sc = container.securityContext as Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type: string } };
  assert.ok(sc, `${container.name} has a securityContext`);
  assert.equal(sc.allowPrivilegeEscalation, false, `${container.name} allowPrivilegeEscalation`);
  assert.equal(sc.readOnlyRootFilesystem, true, `${container.name} readOnlyRootFilesystem`);
  assert.equal(sc.runAsNonRoot, true, `${container.name} runAsNonRoot`);
  assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${container.name} drops all capabilities`);
  assert.equal(sc.capabilities?.add, undefined);
  assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
  assert.notEqual(sc.privileged, true);
}

describe('chart: sidecar mode with SQLite', () => {
  test('renders parseable manifests of the expected kinds', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const kinds = r.docs.map((d) => d.kind).sort();
    assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount']);
    for (const d of r.docs) {
      assert.equal(d.metadata.namespace, 'apps', `${d.kind} namespace`);
      assert.equal(d.metadata.labels?.['app.kubernetes.io/instance'], 'demo');
    }
  });

  test('pod and both containers meet the restricted pod security profile', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const pod = r.get('Deployment').spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.containers.length, 2);
    for (const c of pod.containers) assertRestricted(c);
    assert.equal(pod.hostNetwork, undefined);
  });

  test('Gatehouse exposes its two ports and probes the admin port', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const gh = containerOf(r.get('Deployment'), 'gatehouse');
    assert.deepEqual(gh.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]), [['http', 4180], ['admin', 4181]]);
    assert.deepEqual(gh.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.deepEqual(gh.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
    assert.deepEqual(gh.startupProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.deepEqual(gh.args, ['serve', '--config', '/etc/gatehouse/gatehouse.yaml']);
    assert.equal(gh.image, 'gatehouse:0.1.0', 'tag defaults to appVersion');
    assert.ok(gh.resources.limits.cpu && gh.resources.limits.memory && gh.resources.requests.cpu && gh.resources.requests.memory);
  });

  test('the app container has no ports and Gatehouse forwards to it on 127.0.0.1', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const app = containerOf(r.get('Deployment'), 'app');
    assert.equal(app.image, 'ghcr.io/example/orders:1.4.2');
    assert.equal(app.ports, undefined);
    const cfg = configOf(r);
    assert.equal(cfg.upstreams.app.url, 'http://127.0.0.1:3000');
    const svc = r.get('Service');
    assert.deepEqual(svc.spec.ports.map((p: { name: string; targetPort: string }) => [p.name, p.targetPort]), [['http', 'http'], ['admin', 'admin']]);
    assert.deepEqual(svc.spec.selector, r.get('Deployment').spec.selector.matchLabels);
  });

  test('the config is the values merged over defaults, with the chart-controlled keys forced', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml', { config: { server: { listen: '0.0.0.0:9999' }, reload: { watch: false } } }]);
    if (!r) return;
    const cfg = configOf(r);
    assert.equal(cfg.server.listen, '0.0.0.0:4180', 'the probed port wins over config');
    assert.equal(cfg.admin.listen, '0.0.0.0:4181');
    assert.equal(cfg.server.public_url, 'https://orders.example.com');
    assert.equal(cfg.reload.watch, false, 'a false in config survives the merge');
    assert.equal(cfg.routes.length, 3);
    assert.deepEqual(cfg.routes[1].policy, { roles: ['admin'] });
    assert.deepEqual(cfg.storage, { driver: 'sqlite', sqlite: { path: '/var/lib/gatehouse/gatehouse.db' } });
    assert.equal(cfg.server.drain_delay, '5s');
    assert.equal(cfg.server.grace_period, '20s');
  });

  test('the ConfigMap is mounted as a directory (not subPath) so reloads see changes; data and /tmp are volumes', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const d = r.get('Deployment');
    const gh = containerOf(d, 'gatehouse');
    const mounts = Object.fromEntries(gh.volumeMounts.map((m: { name: string }) => [m.name, m]));
    assert.equal(mounts.config.mountPath, '/etc/gatehouse');
    assert.equal(mounts.config.subPath, undefined);
    assert.equal(mounts.config.readOnly, true);
    assert.equal(mounts.tmp.mountPath, '/tmp');
    assert.equal(mounts.data.mountPath, '/var/lib/gatehouse');
    const volumes = Object.fromEntries(d.spec.template.spec.volumes.map((v: { name: string }) => [v.name, v]));
    assert.equal(volumes.config.configMap.name, r.get('ConfigMap', 'demo-gatehouse').metadata.name);
    assert.equal(volumes.data.persistentVolumeClaim.claimName, r.get('PersistentVolumeClaim').metadata.name);
    assert.ok(volumes.tmp.emptyDir);
    assert.equal(d.spec.strategy.type, 'Recreate', 'one SQLite file on a RWO volume');
    assert.equal(d.spec.template.metadata.annotations['checksum/config'], undefined, 'config changes reload in place');
    assert.match(d.spec.template.metadata.annotations['checksum/restart-config'], /^[0-9a-f]{64}$/, 'restart-only changes roll the pods');
  });

  test('the restart checksum changes with settings bound at start, not with live ones', (t) => {
    const checksum = (over: Record<string, unknown>): string | undefined => {
      const r = mustRender(t, ['sidecar-sqlite.yaml', over]);
      return r?.get('Deployment').spec.template.metadata.annotations['checksum/restart-config'];
    };
    const base = checksum({});
    if (base === undefined) return;
    const routes = [{ name: 'all', match: { path: '/' }, policy: 'public', upstream: 'app' }];
    assert.equal(checksum({ config: { routes } }), base, 'routes reload live');
    assert.equal(checksum({ config: { logging: { level: 'debug' } } }), base, 'the log level reloads live');
    assert.equal(checksum({ config: { server: { trusted_proxies: ['10.0.0.0/8'] } } }), base, 'trusted proxies reload live');
    assert.notEqual(checksum({ config: { sessions: { idle_timeout: '1h' } } }), base, 'sessions need a restart');
    assert.notEqual(checksum({ config: { auth: { local: { registration: 'open' } } } }), base, 'auth needs a restart');
    assert.notEqual(checksum({ config: { server: { public_url: 'https://other.example.com' } } }), base, 'public_url needs a restart');
    assert.notEqual(checksum({ storage: { sqlite: { path: '/var/lib/gatehouse/other.db' } } }), base, 'storage needs a restart');
    const off = mustRender(t, ['sidecar-sqlite.yaml', { rollOnRestartRequiredChange: false }]);
    assert.equal(off?.get('Deployment').spec.template.metadata.annotations?.['checksum/restart-config'], undefined);
  });

  test('secrets reach the container from the Secret, never the ConfigMap', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const secret = r.get('Secret');
    assert.equal(Buffer.from(secret.data.GATEHOUSE_TOKEN_KEY, 'base64').toString(), 'not-a-real-key-0123456789abcdef');
    const env = envOf(containerOf(r.get('Deployment'), 'gatehouse'));
    assert.deepEqual(env.GATEHOUSE_TOKEN_KEY, { secretKeyRef: { name: secret.metadata.name, key: 'GATEHOUSE_TOKEN_KEY' } });
    assert.ok(!r.get('ConfigMap').data['gatehouse.yaml'].includes('not-a-real-key'));
    assert.match(r.get('Deployment').spec.template.metadata.annotations['checksum/secret'], /^[0-9a-f]{64}$/);
  });

  test('secret.exposeAs files: the Secret is mounted read-only as a directory, and no env var carries it', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml', { secret: { exposeAs: 'files' } }]);
    if (!r) return;
    const d = r.get('Deployment');
    const gh = containerOf(d, 'gatehouse');
    const env = envOf(gh);
    assert.equal(env.GATEHOUSE_TOKEN_KEY, undefined, 'files only: no env var from the Secret');
    const mount = gh.volumeMounts.find((m: { name: string }) => m.name === 'secret-files');
    assert.deepEqual(mount, { name: 'secret-files', mountPath: '/var/run/secrets/gatehouse', readOnly: true });
    const volume = d.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'secret-files');
    assert.deepEqual(volume.secret, { secretName: r.get('Secret').metadata.name, defaultMode: 0o440 });
    assert.equal(containerOf(d, 'app').volumeMounts?.find((m: { name: string }) => m.name === 'secret-files'), undefined, 'the app does not see the Secret');
    const both = mustRender(t, ['sidecar-sqlite.yaml', { secret: { exposeAs: 'both' } }]);
    const bothGh = containerOf(both!.get('Deployment'), 'gatehouse');
    assert.ok(envOf(bothGh).GATEHOUSE_TOKEN_KEY, 'both: env var kept');
    assert.ok(bothGh.volumeMounts.some((m: { name: string }) => m.name === 'secret-files'), 'both: files mounted');
    const plain = mustRender(t, ['sidecar-sqlite.yaml']);
    assert.ok(!containerOf(plain!.get('Deployment'), 'gatehouse').volumeMounts.some((m: { name: string }) => m.name === 'secret-files'), 'env (default): nothing mounted');
  });

  test('shutdown: terminationGracePeriodSeconds covers drain + grace + margin; the app outlives the drain', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const d = r.get('Deployment');
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 0 + 5 + 20 + 10);
    assert.equal(containerOf(d, 'gatehouse').lifecycle, undefined, 'no preStop by default: Gatehouse drains itself');
    assert.deepEqual(containerOf(d, 'app').lifecycle, { preStop: { sleep: { seconds: 25 } } });
  });

  test('UV_THREADPOOL_SIZE follows the CPU limit: 1500m -> 2 cores -> max(4, 2 hashes + 2)', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    assert.equal(envOf(containerOf(r.get('Deployment'), 'gatehouse')).UV_THREADPOOL_SIZE, '4');
  });

  test('hash pool concurrency (auth.hash.concurrency) follows the CPU limit unless set', (t) => {
    const cases: Array<[unknown, number, string]> = [['500m', 1, '4'], ['2', 2, '4'], [4, 4, '6'], ['1.2', 2, '4'], ['6', 6, '8']];
    for (const [cpu, hashes, uv] of cases) {
      const r = mustRender(t, ['sidecar-sqlite.yaml', { resources: { limits: { cpu } }, config: { auth: { local: {} } } }]);
      if (!r) return;
      assert.equal(configOf(r).auth.hash.concurrency, hashes, `cpu ${cpu}`);
      assert.equal(envOf(containerOf(r.get('Deployment'), 'gatehouse')).UV_THREADPOOL_SIZE, uv, `cpu ${cpu}`);
    }
    const explicit = mustRender(t, ['sidecar-sqlite.yaml', { config: { auth: { hash: { concurrency: 3 } } } }]);
    if (!explicit) return;
    assert.equal(configOf(explicit).auth.hash.concurrency, 3, 'an explicit value wins');
    const defaults = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!defaults) return;
    assert.deepEqual(configOf(defaults).auth, { hash: { concurrency: 2 } }, '1500m -> 2');
  });

  test('scrape annotations point at the admin port; no PDB or HPA with one SQLite pod', (t) => {
    const r = mustRender(t, ['sidecar-sqlite.yaml']);
    if (!r) return;
    const ann = r.get('Deployment').spec.template.metadata.annotations;
    assert.equal(ann['prometheus.io/scrape'], 'true');
    assert.equal(ann['prometheus.io/port'], '4181');
    assert.equal(ann['prometheus.io/path'], '/metrics');
    assert.equal(r.all('PodDisruptionBudget').length, 0);
    assert.equal(r.all('HorizontalPodAutoscaler').length, 0);
  });
});

describe('chart: gateway mode with PostgreSQL and every option on', () => {
  test('renders every optional object', (t) => {
    const r = mustRender(t, ['gateway-postgres.yaml']);
    if (!r) return;
    const kinds = new Set(r.docs.map((d) => d.kind));
    for (const k of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'Ingress']) {
      assert.ok(kinds.has(k), `${k} rendered`);
    }
    assert.equal(r.all('Secret').length, 0, 'existingSecret: the chart creates none');
    assert.equal(r.all('PersistentVolumeClaim').length, 0);
    assert.equal(r.all('ConfigMap').length, 2, 'config and dashboard');
  });

  test('one container, forwarding to the existing Service; replicas left to the HPA', (t) => {
    const r = mustRender(t, ['gateway-postgres.yaml']);
    if (!r) return;
    const d = r.get('Deployment');
    assert.deepEqual(d.spec.template.spec.containers.map((c: { name: string }) => c.name), ['gatehouse']);
    assert.equal(d.spec.replicas, undefined);
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assertRestricted(containerOf(d, 'gatehouse'));
    const cfg = configOf(r);
    assert.equal(cfg.upstreams.app.url, 'http://orders.shop.svc.cluster.local:8080');
    assert.equal(cfg.upstreams.reports.url, 'http://reports.shop.svc.cluster.local:8080');
    assert.deepEqual(cfg.storage, { driver: 'postgres', postgres: { url: '${GATEHOUSE_DATABASE_URL}', pool_max: 20 } });
    const hpa = r.get('HorizontalPodAutoscaler');
    assert.equal(hpa.spec.scaleTargetRef.name, d.metadata.name);
    assert.equal(hpa.spec.minReplicas, 3);
    assert.equal(r.get('PodDisruptionBudget').spec.maxUnavailable, 1);
  });

  test('database URL and client secret come from the existing Secret by secretKeyRef', (t) => {
    const r = mustRender(t, ['gateway-postgres.yaml']);
    if (!r) return;
    const env = envOf(containerOf(r.get('Deployment'), 'gatehouse'));
    assert.deepEqual(env.GATEHOUSE_DATABASE_URL, { secretKeyRef: { name: 'gatehouse-secrets', key: 'database-url' } });
    assert.deepEqual(env.GATEHOUSE_OIDC_CLIENT_SECRET, { secretKeyRef: { name: 'gatehouse-secrets', key: 'oidc-client-secret' } });
    assert.equal(env.UV_THREADPOOL_SIZE, '4');
    const ann = r.get('Deployment').spec.template.metadata.annotations ?? {};
    assert.equal(ann['prometheus.io/scrape'], undefined, 'annotations off when the Operator scrapes');
  });

  test('secret.exposeAs files: the database URL is read from the mounted file of its key', (t) => {
    const r = mustRender(t, ['gateway-postgres.yaml', { secret: { exposeAs: 'files', mountPath: '/run/gh-secrets' } }]);
    if (!r) return;
    assert.deepEqual(configOf(r).storage, { driver: 'postgres', postgres: { url: '${file:/run/gh-secrets/database-url}', pool_max: 20 } });
    const gh = containerOf(r.get('Deployment'), 'gatehouse');
    assert.equal(envOf(gh).GATEHOUSE_DATABASE_URL, undefined);
    assert.equal(gh.volumeMounts.find((m: { name: string }) => m.name === 'secret-files').mountPath, '/run/gh-secrets');
    assert.equal(r.get('Deployment').spec.template.spec.volumes.find((v: { name: string }) => v.name === 'secret-files').secret.secretName, 'gatehouse-secrets');
  });

  test('shutdown arithmetic with a preStop sleep: 3 + 10 + 30 + 10', (t) => {
    const r = mustRender(t, ['gateway-postgres.yaml']);
    if (!r) return;
    const d = r.get('Deployment');
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 53);
    assert.deepEqual(containerOf(d, 'gatehouse').lifecycle, { preStop: { sleep: { seconds: 3 } } });
    assert.equal(configOf(r).server.drain_delay, '10s');
    assert.equal(configOf(r).server.grace_period, '30s');
  });

  test('monitoring objects select the pods and scrape the admin port', (t) => {
    const r = mustRender(t, ['gateway-postgres.yaml']);
    if (!r) return;
    const selector = r.get('Deployment').spec.selector.matchLabels;
    const sm = r.get('ServiceMonitor');
    assert.deepEqual(sm.spec.selector.matchLabels, selector);
    assert.equal(sm.spec.endpoints[0].port, 'admin');
    assert.equal(sm.metadata.labels?.release, 'kube-prometheus-stack');
    const pm = r.get('PodMonitor');
    assert.equal(pm.spec.podMetricsEndpoints[0].port, 'admin');
    const np = r.get('NetworkPolicy');
    assert.deepEqual(np.spec.podSelector.matchLabels, selector);
    assert.deepEqual(np.spec.ingress.map((i: { ports: Array<{ port: string }> }) => i.ports[0]!.port), ['http', 'admin']);
    const rules = r.get('PrometheusRule').spec.groups[0].rules.map((x: { alert: string }) => x.alert);
    assert.deepEqual(rules, ALERTS);
    const dash = JSON.parse(r.get('ConfigMap', 'demo-gatehouse-dashboard').data['gatehouse.json']);
    assert.equal(dash.uid, 'gatehouse');
  });
});

describe('chart: values the schema or the templates refuse', () => {
  const refused: Array<[string, RegExp]> = [
    ['bad-sqlite-replicas.yaml', /replicaCount: Must be less than or equal to 1/],
    ['bad-sqlite-autoscaling.yaml', /autoscaling\.enabled/],
    ['bad-gateway-no-upstream.yaml', /gateway\.upstream/],
    ['bad-sidecar-no-image.yaml', /app\.image\.repository/],
    ['bad-unknown-value.yaml', /Additional property replicas is not allowed/],
    ['bad-postgres-no-secret.yaml', /needs the database URL from a Secret/],
  ];
  for (const [file, message] of refused) {
    test(file, (t) => {
      const r = renderChart(t, [file]);
      if (!r) return;
      assert.equal(r.ok, false, `${file} must be refused`);
      assert.match(r.stderr, message);
    });
  }

  test('the chart with no values at all: the failure names the one value to set, and how', (t) => {
    const r = renderChart(t, []);
    if (!r) return;
    assert.equal(r.ok, false, 'a sidecar needs the app image');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one message:\n${r.stderr}`);
    assert.match(r.stderr, /app\.image\.repository is empty/);
    assert.match(r.stderr, /--set app\.image\.repository=\S+/, 'says how to set it');
    assert.match(r.stderr, /--set mode=gateway --set gateway\.upstream=/, 'and the alternative');
    assert.doesNotMatch(r.stderr, /allOf|Must validate/, 'no schema noise');
    const fixed = mustRender(t, [{ app: { image: { repository: 'registry.example.com/orders' } } }]);
    assert.ok(fixed?.get('Deployment'), 'setting that one value renders');
    const gateway = renderChart(t, [{ mode: 'gateway' }]);
    assert.match(gateway?.stderr ?? '', /gateway\.upstream is empty.*--set gateway\.upstream=http/);
  });

  test('two replicas are accepted with PostgreSQL or MySQL', (t) => {
    for (const driver of ['postgres', 'mysql']) {
      const r = mustRender(t, [{ app: { image: { repository: 'x' } }, replicaCount: 2, storage: { driver }, secret: { existingSecret: 's', env: { GATEHOUSE_DATABASE_URL: 'url' } } }]);
      if (!r) return;
      assert.equal(r.get('Deployment').spec.replicas, 2);
      assert.equal(configOf(r).storage.driver, driver);
      assert.ok(r.get('PodDisruptionBudget'));
    }
  });
});

describe('chart: embedded in another chart', () => {
  test('gatehouse.container and gatehouse.volumes go into the parent pod; the subchart renders the ConfigMap', (t) => {
    const r = mustRender(t, [], { chart: join(repoRoot, 'test', 'chart', 'fixtures', 'embedding-chart') });
    if (!r) return;
    assert.deepEqual(r.all('Deployment').map((d) => d.metadata.name), ['demo-orders'], 'the subchart renders no workload');
    const d = r.get('Deployment');
    const gh = containerOf(d, 'gatehouse');
    assertRestricted(gh);
    assert.equal(gh.image, 'gatehouse:0.1.0');
    const cm = r.get('ConfigMap');
    const volumes = Object.fromEntries(d.spec.template.spec.volumes.map((v: { name: string }) => [v.name, v]));
    assert.equal(volumes.config.configMap.name, cm.metadata.name);
    assert.equal(parse(cm.data['gatehouse.yaml']).upstreams.app.url, 'http://127.0.0.1:3000');
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 35);
  });
});

describe('chart: Gatehouse accepts the configuration the chart renders', () => {
  // The ConfigMap's gatehouse.yaml goes through Gatehouse's own validator (`gatehouse check-config`), with
  // the Secret's env vars set as the pod would have them.
  const cases: Array<[string, Array<string | Record<string, unknown>>]> = [
    ['sidecar-sqlite', ['sidecar-sqlite.yaml']],
    ['gateway-postgres', ['gateway-postgres.yaml']],
    ['mysql', [{ app: { image: { repository: 'x' } }, storage: { driver: 'mysql' }, secret: { existingSecret: 's', env: { GATEHOUSE_DATABASE_URL: 'url' } } }]],
  ];
  test('secret.exposeAs files: the rendered config loads with the Secret written as the kubelet mounts it', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-chart-files-'));
    try {
      const mountPath = join(dir, 'secrets');
      const r = mustRender(t, [{
        app: { image: { repository: 'x' } }, storage: { driver: 'postgres' },
        secret: { create: true, exposeAs: 'files', mountPath, values: { GATEHOUSE_DATABASE_URL: 'postgres://gatehouse@127.0.0.1:5432/gatehouse', 'token-key': 'f'.repeat(40) } },
        config: { sessions: { token_keys: [{ id: 'k1', secret: `\${file:${mountPath}/token-key}` }] } },
      }]);
      if (!r) return;
      // The kubelet writes each key of the Secret as a file under the mount; kubectl create secret --from-file
      // keeps a file's trailing newline, which Gatehouse removes.
      mkdirSync(mountPath);
      for (const [key, value] of Object.entries(r.get('Secret').data as Record<string, string>)) writeFileSync(join(mountPath, key), `${Buffer.from(value, 'base64').toString()}\n`);
      const file = join(dir, 'gatehouse.yaml');
      const yaml = r.all('ConfigMap').find((m) => m.data?.['gatehouse.yaml'])!.data['gatehouse.yaml'] as string;
      assert.ok(!yaml.includes('postgres://') && !yaml.includes('ffffffff'), 'no secret in the ConfigMap');
      writeFileSync(file, yaml);
      const env = { PATH: process.env.PATH };
      const check = run(process.execPath, [join(repoRoot, 'bin', 'gatehouse.js'), 'check-config', '--config', file], { env, cwd: dir });
      assert.equal(check.status, 0, `check-config:\n${check.stdout}${check.stderr}`);
      const loaded = readConfigFile(file, {}).config;
      assert.equal(loaded.storage.driver === 'postgres' && loaded.storage.postgres.url, 'postgres://gatehouse@127.0.0.1:5432/gatehouse');
      assert.equal(loaded.sessions.token_keys[0]!.secret, 'f'.repeat(40));
      // A Secret without the key the config names: check-config names the YAML path and the file.
      rmSync(join(mountPath, 'token-key'));
      const broken = run(process.execPath, [join(repoRoot, 'bin', 'gatehouse.js'), 'check-config', '--config', file], { env, cwd: dir });
      assert.equal(broken.status, 1);
      assert.match(broken.stderr, new RegExp(`sessions\\.token_keys\\[0\\]\\.secret.*cannot read secret file ${mountPath}/token-key: ENOENT`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [name, values] of cases) {
    test(name, (t) => {
      const r = mustRender(t, values);
      if (!r) return;
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-chart-config-'));
      try {
        const file = join(dir, 'gatehouse.yaml');
        writeFileSync(file, r.all('ConfigMap').find((m) => m.data?.['gatehouse.yaml'])!.data['gatehouse.yaml']);
        const env = { PATH: process.env.PATH, GATEHOUSE_DATABASE_URL: 'postgres://gatehouse@127.0.0.1:5432/gatehouse' };
        if (name === 'mysql') env.GATEHOUSE_DATABASE_URL = 'mysql://gatehouse@127.0.0.1:3306/gatehouse';
        const check = run(process.execPath, [join(repoRoot, 'bin', 'gatehouse.js'), 'check-config', '--config', file], { env, cwd: dir });
        assert.equal(check.status, 0, `check-config:\n${check.stdout}${check.stderr}`);
        assert.match(check.stdout, /ok/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
