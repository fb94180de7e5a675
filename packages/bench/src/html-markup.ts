/** HTML built from parts: text is escaped unless it is wrapped as Raw markup; data and code inlined into <script> safely. */

/** Markup that is already HTML (built by `el` or trusted), inserted as is. */
export class Raw {
  constructor(readonly html: string) {}
}

export type Child = string | number | Raw | null | undefined | false | Child[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

function render(child: Child): string {
  if (child === null || child === undefined || child === false) return '';
  if (child instanceof Raw) return child.html;
  if (Array.isArray(child)) return child.map(render).join('');
  return escapeHtml(String(child));
}

/** Elements that have no content and no end tag. */
const VOID = new Set(['meta', 'br', 'hr', 'img', 'link', 'input']);

/** One element; attributes that are undefined are left out. */
export function el(tag: string, attrs: Record<string, string | number | undefined>, ...children: Child[]): Raw {
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeHtml(String(v))}"`)
    .join('');
  return new Raw(VOID.has(tag) ? `<${tag}${attrText}>` : `<${tag}${attrText}>${render(children)}</${tag}>`);
}

/** Several parts as one, with no element around them. */
export const fragment = (...children: Child[]): Raw => new Raw(render(children));

/**
 * JSON that can sit inside <script>: `<` as \u003c so no `</script>` or `<!--` in the data
 * ends or changes the element; U+2028/2029 escaped too. JSON.parse reads it back unchanged.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Data for the page script: read back with JSON.parse(document.getElementById(id).textContent). */
export const jsonScript = (id: string, value: unknown): Raw =>
  new Raw(`<script type="application/json" id="${escapeHtml(id)}">${scriptSafeJson(value)}</script>`);

/**
 * Code inlined as a classic script. `</script` and `<!--` may only appear inside its strings
 * or regular expressions, where `<\/` and `<\!` mean the same.
 */
export const inlineScript = (code: string): Raw =>
  new Raw(`<script>${code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')}</script>`);
