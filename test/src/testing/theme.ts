/*
 * The portal's light and dark themes, switched as a user does: the Settings page's theme toggle.
 * Backstage's AppThemeSelector keeps the choice in localStorage under `theme`, so it holds across
 * page loads in the same browser profile.
 */
import { eventually } from '@internal/vastai-sandbox/testing';
import { Page } from 'playwright-core';

export type ThemeId = 'light' | 'dark';

/** The storage key of @backstage/core-app-api's AppThemeSelector. */
export const THEME_STORAGE_KEY = 'theme';

const TOGGLE_NAME: Record<ThemeId, RegExp> = {
  light: /^Light\b/,
  dark: /^Dark\b/,
};

interface DrawnTheme {
  stored: string | null;
  /** The mode Backstage's theme provider marks on <body> (`data-theme-mode`). */
  mode: string | null;
  /** Relative luminance (0 black .. 1 white) of the page's drawn background. */
  luminance: number | null;
}

/** What the page shows now: the stored theme, the applied mode and how light the page is drawn. */
export async function drawnTheme(page: Page): Promise<DrawnTheme> {
  return page.evaluate(key => {
    const channel = (c: number) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    // The first opaque background from <body> up: what is drawn behind the page's content.
    let luminance: number | null = null;
    for (const el of [document.body, document.documentElement]) {
      const [r, g, b, a = 1] = (
        getComputedStyle(el).backgroundColor.match(/[\d.]+/g) ?? []
      ).map(Number);
      if (r !== undefined && a > 0) {
        luminance =
          0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
        break;
      }
    }
    return {
      stored: window.localStorage.getItem(key),
      mode: document.body.getAttribute('data-theme-mode'),
      luminance,
    };
  }, THEME_STORAGE_KEY);
}

function isDrawn(theme: ThemeId, drawn: DrawnTheme): boolean {
  return (
    drawn.stored === theme &&
    drawn.mode === theme &&
    drawn.luminance !== null &&
    (theme === 'dark' ? drawn.luminance < 0.2 : drawn.luminance > 0.7)
  );
}

/** Waits until the page is drawn in `theme` (stored choice and background); fails otherwise. */
export async function expectTheme(page: Page, theme: ThemeId) {
  await eventually(() => drawnTheme(page), {
    what: `the page to be drawn in the ${theme} theme`,
    accept: drawn => isDrawn(theme, drawn),
    timeoutMs: 30_000,
    intervalMs: 250,
  });
}

/** Opens Settings, presses the theme's toggle button and checks the portal switched to it. */
export async function switchTheme(page: Page, appUrl: string, theme: ThemeId) {
  await page.goto(`${appUrl}/settings`, { waitUntil: 'domcontentloaded' });
  const toggle = page.getByRole('button', { name: TOGGLE_NAME[theme] });
  await toggle.first().click({ timeout: 60_000 });
  await eventually(() => toggle.first().getAttribute('aria-pressed'), {
    what: `the ${theme} toggle to be pressed`,
    accept: pressed => pressed === 'true',
    timeoutMs: 10_000,
    intervalMs: 200,
  });
  await expectTheme(page, theme);
}
