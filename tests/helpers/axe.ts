/**
 * Accessibility checks with axe-core run inside the page under test. Test
 * only: the page never loads axe.
 *
 * @module
 */
import axe from "axe-core";
import type { Page } from "playwright-core";

/**
 * The page's serious and critical axe violations, as "rule: targets" lines
 * (empty when there are none). Pages need `bypassCSP` to take the script.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in globalThis))) {
    await page.evaluate(axe.source);
  }
  return await page.evaluate(async () => {
    const run = (globalThis as unknown as {
      axe: {
        run(
          context: Document,
          options: object,
        ): Promise<{
          violations: {
            id: string;
            impact?: string | null;
            nodes: { target: unknown[]; failureSummary?: string }[];
          }[];
        }>;
      };
    }).axe.run;
    const result = await run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) =>
        `${v.id}: ${
          v.nodes.map((n) => `${n.target.join(" ")} (${n.failureSummary})`)
            .join("; ")
        }`
      );
  });
}

/** The WCAG contrast ratio of two `rgb(...)` colours. */
export function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((x) => {
      const v = Number(x) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
