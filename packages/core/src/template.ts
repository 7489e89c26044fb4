import { OrelError } from './errors.js';

/**
 * Renders a layout template such as `release/{version}/bin/{os}/{arch}/{name}`.
 * A placeholder without a value is an error: a release path must never
 * silently contain "undefined". An empty value is allowed (e.g. {ext} of a
 * file without extension) unless it would empty a whole path segment.
 */
export function renderTemplate(template: string, vars: Record<string, string | undefined>, what = 'layout'): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (_m, key: string) => {
    const v = vars[key];
    if (v === undefined || (v === '' && new RegExp(`(^|/)\\{${key}\\}(/|$)`).test(template))) {
      throw new OrelError('PLAN_INVALID', `${what} "${template}" uses {${key}}, which has no value here`, {
        hint: `known placeholders: ${Object.keys(vars).filter((k) => vars[k]).sort().join(', ')}`,
      });
    }
    return v;
  });
}

/** Joins URL/object-key segments with single slashes. */
export function joinKey(...parts: (string | undefined)[]): string {
  return parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0)
    .join('/');
}
