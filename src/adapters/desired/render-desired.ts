/**
 * The desired state of a region, rendered from Git the way Argo CD and Flux render it.
 * `--path` may be:
 * - an overlays tree: `<path>/regions/<region>/kustomization.yaml` (what `mr-drift
 *   generate` writes) or `<path>/<region>/kustomization.yaml`: built per region with the
 *   real kustomize;
 * - one kustomization folder: built once, the same for every region;
 * - a folder of plain YAML/JSON manifests (read recursively, in path order);
 * - one multi-document YAML file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RenderError, UsageError, type Problem } from '../../core/errors';
import { displayPath } from '../fs/display-path';
import { renderKustomization } from '../kustomize';
import type { SourcedObject } from '../../core/compare/kube-object';
import { parseManifests, throwIfProblems } from './parse-manifests';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** How the desired state for `path` is laid out. */
export type DesiredLayout =
  | { kind: 'overlays'; regionDir: (region: string) => string; regions: string[] }
  | { kind: 'kustomization'; dir: string }
  | { kind: 'folder'; dir: string }
  | { kind: 'file'; file: string };

function kustomizationIn(dir: string): string | undefined {
  const f = KUSTOMIZATION_FILES.find((n) => existsSync(join(dir, n)));
  return f ? join(dir, f) : undefined;
}

async function subdirsWithKustomization(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && kustomizationIn(join(dir, e.name)))
    .map((e) => e.name)
    .sort();
}

/** Works out the layout of `path`; a missing path is a UsageError. */
export async function detectLayout(path: string): Promise<DesiredLayout> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(
      (say) => `${say.subject('path', path)}: no such file or folder`,
      (say) =>
        `Point ${say.option('path')} at the overlays folder (default: overlays), a folder of manifests or a YAML file.`,
    );
  }
  if (info.isFile()) return { kind: 'file', file: path };
  const underRegions = await subdirsWithKustomization(join(path, 'regions'));
  if (underRegions.length > 0) {
    return { kind: 'overlays', regions: underRegions, regionDir: (r) => join(path, 'regions', r) };
  }
  if (kustomizationIn(path)) return { kind: 'kustomization', dir: path };
  const direct = await subdirsWithKustomization(path);
  if (direct.length > 0)
    return { kind: 'overlays', regions: direct, regionDir: (r) => join(path, r) };
  return { kind: 'folder', dir: path };
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.(ya?ml|json)$/i.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/**
 * Renders the desired objects of one region. Problems in the manifests -> RenderError.
 * `renderTimeoutMs` bounds each kustomize build (default RENDER_TIMEOUT_MS).
 */
export async function renderDesired(
  layout: DesiredLayout,
  region: string,
  renderTimeoutMs?: number,
): Promise<SourcedObject[]> {
  const problems: Problem[] = [];
  let objects: SourcedObject[];
  if (layout.kind === 'overlays' || layout.kind === 'kustomization') {
    const dir = layout.kind === 'overlays' ? layout.regionDir(region) : layout.dir;
    const kfile = kustomizationIn(dir);
    if (!kfile) {
      const known = layout.kind === 'overlays' ? layout.regions.join(', ') : '';
      throw new RenderError(
        `no overlay for region ${region} (looked for ${displayPath(dir)}/kustomization.yaml)`,
        known ? `Regions with an overlay: ${known}.` : undefined,
      );
    }
    const text = await renderKustomization(dir, renderTimeoutMs);
    // kustomize output has no useful line numbers for the user: name the kustomization.
    objects = parseManifests(text, displayPath(kfile), problems, false);
    throwIfProblems(problems, `the output of kustomize for ${displayPath(dir)}`);
  } else {
    const files = layout.kind === 'file' ? [layout.file] : await yamlFilesUnder(layout.dir);
    if (files.length === 0)
      throw new UsageError(
        (say) =>
          `${say.subject('path', layout.kind === 'folder' ? layout.dir : '')}: no .yaml, .yml or .json files found`,
      );
    objects = [];
    for (const f of files)
      objects.push(...parseManifests(await readFile(f, 'utf8'), displayPath(f), problems));
    throwIfProblems(
      problems,
      layout.kind === 'file'
        ? displayPath(layout.file)
        : `the manifests under ${displayPath(layout.dir)}`,
    );
  }
  return objects;
}
