import { z } from 'zod';

const hexColour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour as #rrggbb');

/** A logo: a path on this site, a data: image, or an https URL (its origin is then allowed by the pages' CSP). */
const logoUrl = z.string().max(4096).refine((v) => {
  if (v.startsWith('/') && !v.startsWith('//')) return true;
  if (/^data:image\/(png|gif|jpeg|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(v)) return true;
  try {
    return new URL(v).protocol === 'https:';
  } catch {
    return false;
  }
}, { message: 'expected a path ("/logo.svg"), a base64 data:image URL or an https:// URL' });

/**
 * The `pages:` section: how Gatehouse's own pages look (sign-in, second factor, reset, verification, account).
 * Colours are checked against WCAG 2.2 AA contrast (4.5:1) at load, so a brand cannot make a page unreadable.
 */
export const pagesSchema = z.strictObject({
  product_name: z.string().min(1).max(80).default('Gatehouse'),
  logo_url: logoUrl.optional(),
  colors: z.strictObject({
    /** Buttons and links; white text sits on it. */
    primary: hexColour.default('#1f5fbf'),
    background: hexColour.default('#f4f6f9'),
    /** The card the forms sit on. */
    surface: hexColour.default('#ffffff'),
    text: hexColour.default('#1b1f24'),
    error: hexColour.default('#b3261e'),
  }).prefault({}),
  /** A directory whose <page>.mustache files replace the built-in templates (`gatehouse templates --out DIR` writes them). */
  templates_dir: z.string().min(1).optional(),
}).superRefine((p, ctx) => {
  const { colors } = p;
  const need = (a: string, b: string, path: string, what: string): void => {
    const ratio = contrastRatio(a, b);
    if (ratio < 4.5) ctx.addIssue({ code: 'custom', path: ['colors', path], message: `${what} has contrast ${ratio.toFixed(2)}:1; WCAG AA needs 4.5:1` });
  };
  need(colors.primary, '#ffffff', 'primary', 'white button text on primary');
  need(colors.primary, colors.surface, 'primary', 'primary links on surface');
  need(colors.text, colors.surface, 'text', 'text on surface');
  need(colors.text, colors.background, 'text', 'text on background');
  need(colors.error, colors.surface, 'error', 'error text on surface');
}).prefault({});

export type PagesConfig = z.output<typeof pagesSchema>;

/** WCAG 2.2 contrast ratio between two #rrggbb colours (1 to 21), from relative luminance (WCAG 2.2, §1.4.3). */
export function contrastRatio(a: string, b: string): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function luminance(hex: string): number {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}
