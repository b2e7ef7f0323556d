/**
 * Kubernetes manifests: every document validates against the Kubernetes OpenAPI schema
 * (kubernetes-models), `kubectl kustomize` renders the set, and the objects agree with each other
 * (selectors, names, ports, config keys) and with the image (non-root user, probes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoPath, run } from './tools.js';

const DIR = 'infra/k8s';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML until validated.
type Manifest = any;

const MODELS: Record<string, new (data: Manifest) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

const parseDocs = (text: string, source: string): Manifest[] =>
  parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.join('; ')}`);
    return doc.toJS();
  });

const files = readdirSync(repoPath(DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests: Manifest[] = files.flatMap((f) => parseDocs(readFileSync(repoPath(DIR, f), 'utf8'), f));
const find = (kind: string): Manifest => manifests.find((m) => m.kind === kind);

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no model for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest).validate();
}

describe('Kubernetes manifests', () => {
  it.each(manifests.map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))(
    '%s validates',
    (_, manifest) => {
      expect(() => validate(manifest)).not.toThrow();
    },
  );

  it('are all listed in kustomization.yaml, and kubectl kustomize renders them', () => {
    const kustomization = parseDocs(
      readFileSync(repoPath(DIR, 'kustomization.yaml'), 'utf8'),
      'kustomization.yaml',
    )[0];
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
    const result = run('kubectl', ['kustomize', DIR]);
    expect(result.status, result.output).toBe(0);
    const rendered = parseDocs(result.stdout, 'kubectl kustomize');
    expect(rendered.map((m) => m.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service'].sort(),
    );
    for (const manifest of rendered) expect(() => validate(manifest), manifest.kind).not.toThrow();
  });

  it('run two replicas of a non-root, read-only container with resources', () => {
    const deployment = find('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
    // tsx writes its compile cache under /tmp, which must stay writable.
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
  });

  it("run as the image's user", () => {
    const dockerfileUser = /^USER (\d+)/m.exec(readFileSync(repoPath('infra/docker/Dockerfile'), 'utf8'));
    expect(Number(dockerfileUser?.[1])).toBe(find('Deployment').spec.template.spec.securityContext.runAsUser);
  });

  it('probe /ready for readiness and /health for liveness, on the port the ConfigMap sets', () => {
    const container = find('Deployment').spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    const http = container.ports.find((p: Manifest) => p.name === 'http');
    expect(String(http.containerPort)).toBe(find('ConfigMap').data.PORT);
  });

  it('take settings from the ConfigMap and WAOOAW_TOKEN and REDIS_URL from a Secret', () => {
    const configMap = find('ConfigMap');
    expect(Object.keys(configMap.data)).toEqual(
      expect.arrayContaining(['PORT', 'WORKER_POOL_SIZE', 'TASK_QUEUE_MAX_SIZE']),
    );
    const container = find('Deployment').spec.template.spec.containers[0];
    expect(container.envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
    const fromSecret = Object.fromEntries(
      container.env
        .map((e: Manifest) => [e.name, e.valueFrom?.secretKeyRef])
        .filter(([, ref]: Manifest) => ref),
    );
    expect(fromSecret).toEqual({
      WAOOAW_TOKEN: { name: 'waooaw-secrets', key: 'WAOOAW_TOKEN' },
      REDIS_URL: { name: 'waooaw-secrets', key: 'REDIS_URL' },
    });
  });

  it('select the same pods in the Deployment, Service, PodDisruptionBudget, and scale the Deployment', () => {
    const deployment = find('Deployment');
    const podLabels = deployment.spec.template.metadata.labels;
    expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(find('Service').spec.selector);
    expect(podLabels).toMatchObject(find('PodDisruptionBudget').spec.selector.matchLabels);
    expect(find('Service').spec.ports[0].targetPort).toBe('http');
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(deployment.spec.replicas);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(find('PodDisruptionBudget').spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });
});
