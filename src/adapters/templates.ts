import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { TemplateError, UsageError } from '../core/errors';
import type { TemplateSource, TemplateSources } from '../core/plan/template-engine';
import { assetDir } from './assets';

/**
 * Loads the bundled Handlebars templates, then lets files of the same name in the user's
 * folder (`--templates`) replace them. An override that matches no bundled template is
 * refused, because a misspelt name would otherwise be ignored without a word.
 *
 * @param overrideDir  the user's templates folder, or undefined for the bundled set only
 */
export function loadTemplates(overrideDir?: string): TemplateSources {
  const bundledDir = assetDir('templates');
  const templates = new Map<string, TemplateSource>();
  for (const file of listHbs(bundledDir)) {
    templates.set(templateName(file), {
      source: readFileSync(join(bundledDir, file), 'utf8'),
      origin: `templates/${toPosix(file)}`,
    });
  }
  if (overrideDir !== undefined) {
    let files: string[];
    try {
      if (!statSync(overrideDir).isDirectory()) throw new Error('not a folder');
      files = listHbs(overrideDir);
    } catch (err) {
      throw new UsageError(
        (say) =>
          `${say.subject('templates', overrideDir)}: cannot read the folder (${(err as Error).message})`,
        'Pass a folder that holds .hbs files named like those under templates/.',
      );
    }
    for (const file of files) {
      const name = templateName(file);
      const path = join(overrideDir, file);
      if (!templates.has(name)) {
        throw new TemplateError(
          path,
          `overrides no bundled template (there is no templates/${toPosix(file)})`,
          `Name override files like the bundled ones: ${[...templates.keys()]
            .slice(0, 4)
            .map((n) => `${n}.hbs`)
            .join(', ')} ...`,
        );
      }
      templates.set(name, { source: readFileSync(path, 'utf8'), origin: path });
    }
  }
  return templates;
}

function listHbs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.hbs')) out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

function templateName(file: string): string {
  return toPosix(file).replace(/\.hbs$/, '');
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}
